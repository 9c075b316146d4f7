from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import InvoiceLine, PaymentMethodKind, Settlement


class StatementForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        for day in (start, end):
            if day and not 1900 <= day.year <= 9000:
                raise forms.ValidationError(_("Choose a date between 1900 and 9000."))
        if start and end and start > end:
            raise forms.ValidationError(_("The start must not be after the end."))
        if start and end and (end - start).days > 3 * 366:
            raise forms.ValidationError(_("A statement covers at most three years."))
        return data


def default_period(today: date) -> dict[str, date]:
    return {"start": date(today.year, 1, 1), "end": today}


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

    invoices = forms.ModelMultipleChoiceField(
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


class CreditNoteForm(forms.Form):
    """A credit note for some of an invoice's lines: how much of each to credit (up to what is
    not credited yet), why, and whether it becomes customer credit or a refund."""

    reason = forms.CharField(label=_("reason"), max_length=300)
    settlement = forms.ChoiceField(label=_("settlement"), choices=Settlement.choices)

    def __init__(self, *args, lines: list[tuple[InvoiceLine, Decimal]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.line_fields = []
        for line, creditable in lines:
            name = f"line_{line.pk}"
            self.fields[name] = forms.DecimalField(
                label=line.description,
                min_value=0,
                max_value=creditable,
                decimal_places=4,
                initial=0,
                required=False,
                help_text=_("up to %(quantity)s") % {"quantity": creditable.normalize()},
            )
            self.line_fields.append((line.pk, name))

    def quantities(self) -> dict[int, Decimal]:
        return {
            pk: self.cleaned_data[name]
            for pk, name in self.line_fields
            if self.cleaned_data.get(name)
        }

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.quantities():
            raise forms.ValidationError(_("Credit at least one line."), code="nothing")
        return cleaned


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
