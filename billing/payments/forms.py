"""Payments staff record and customers make."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.payments.models import PaymentMethodKind
from core.forms import WellFormedModelMultipleChoiceField


class PaymentForm(forms.Form):
    """A payment staff saw arrive (bank transfer, cash): any part of what is due."""

    amount = forms.DecimalField(
        label=_("amount"), max_digits=19, decimal_places=2, min_value=Decimal("0.01")
    )
    received_on = forms.DateField(
        label=_("received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    method = forms.ChoiceField(
        label=_("method"),
        choices=PaymentMethodKind.choices,
        initial=PaymentMethodKind.BANK_TRANSFER,
    )
    reference = forms.CharField(label=_("reference"), max_length=200, required=False)


class CustomerPaymentForm(PaymentForm):
    """Money from a customer, spread over the open invoices ticked (oldest due first)."""

    invoices = WellFormedModelMultipleChoiceField(
        label=_("pays these invoices"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Oldest due first; what is left becomes the customer's credit."),
    )

    def __init__(self, *args, open_invoices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invoices"].queryset = open_invoices
        self.fields["invoices"].label_from_instance = lambda i: (
            f"{i.number} · {i.due_date:%Y-%m-%d} · {i.amount_due} {i.currency}"
        )
        self.fields["invoices"].initial = list(open_invoices)


class InvoicePayForm(forms.Form):
    """Which saved card, and (where the business allows part payments) how much."""

    method = forms.TypedChoiceField(label=_("Card"), coerce=int, widget=forms.RadioSelect)
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=19,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
    )

    def __init__(self, *args, methods: list, invoice, partial: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.methods = {m.pk: m for m in methods}
        self.invoice = invoice
        self.fields["method"].choices = [(m.pk, str(m)) for m in methods]
        default = next((m.pk for m in methods if m.is_default), None)
        self.fields["method"].initial = default
        if partial:
            self.fields["amount"].initial = invoice.amount_due
            self.fields["amount"].help_text = _("You may pay part of what is due.")
        else:
            del self.fields["amount"]

    def clean_method(self):
        return self.methods[self.cleaned_data["method"]]

    def clean_amount(self):
        amount = self.cleaned_data.get("amount")
        if amount is not None and amount > self.invoice.amount_due:
            raise forms.ValidationError(_("That is more than is due."), code="too_much")
        return amount
