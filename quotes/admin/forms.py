"""Forms of the quotes back office: a new draft, its lines, the add-on options of a recurring
line, and what some actions ask for (a reason, a customer)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from core.forms import WellFormedModelChoiceField
from core.validators import validate_currency
from quotes.models import Quote, QuoteLine
from subscriptions.models import Option


class QuoteAddForm(forms.ModelForm):
    """A new draft for one of the business's customers (the admin scopes the choices)."""

    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        required=False,
        validators=[validate_currency],
        help_text=_("Leave empty for the business's currency."),
    )

    class Meta:
        model = Quote
        fields = ["customer", "title"]

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def clean(self):
        data = super().clean()
        customer = data.get("customer")
        if customer is not None and customer.closed_at is not None:
            self.add_error("customer", _("This customer's account is closed."))
        return data


class OneOffLineForm(forms.ModelForm):
    class Meta:
        model = QuoteLine
        fields = ["description", "quantity", "unit_price", "tax_rate"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "tax_rate" in self.fields:
            self.fields["tax_rate"].required = False
            self.fields["tax_rate"].help_text = _("Empty: the business's default rate.")


class RecurringLineForm(forms.ModelForm):
    """A tariff of the catalogue at the quote's price per period (the catalogue's when left
    empty), in whole units, from a start date (today when left empty)."""

    class Meta:
        model = QuoteLine
        fields = ["tariff", "description", "quantity", "unit_price", "start_on"]
        labels = {"unit_price": _("Price per period")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("description", "unit_price", "start_on"):
            if name in self.fields:
                self.fields[name].required = False
        if "tariff" in self.fields:
            self.fields["tariff"].required = True

    def clean_quantity(self) -> Decimal:
        quantity = self.cleaned_data["quantity"]
        if quantity is not None and (quantity != quantity.to_integral_value() or quantity < 1):
            raise ValidationError(_("A subscription is ordered in whole units (1 or more)."))
        return quantity


class LineOptionForm(forms.Form):
    """One add-on option offered with a recurring line."""

    option = WellFormedModelChoiceField(label=_("Add-on option"), queryset=Option.objects.none())
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=10_000, initial=1)
    unit_price = forms.DecimalField(
        label=_("Price per month"),
        max_digits=19,
        decimal_places=4,
        min_value=Decimal(0),
        required=False,
        help_text=_("Empty: the catalogue's price."),
    )

    def __init__(self, *args, offered=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["option"].queryset = offered if offered is not None else Option.objects.none()


class BaseLineOptionFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        chosen = [
            form.cleaned_data["option"].pk
            for form in self.forms
            if form.cleaned_data.get("option") and not form.cleaned_data.get("DELETE")
        ]
        if len(set(chosen)) != len(chosen):
            raise ValidationError(_("Offer each add-on option once."))


LineOptionFormSet = forms.formset_factory(
    LineOptionForm, formset=BaseLineOptionFormSet, extra=2, can_delete=True, max_num=50
)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawing"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded with the quote; the customer sees it is withdrawn."),
    )


class DuplicateForm(forms.Form):
    customer = WellFormedModelChoiceField(
        label=_("Customer"),
        queryset=Customer.objects.none(),
        help_text=_("The same customer, or another one of the business."),
    )

    def __init__(self, *args, quote: Quote, **kwargs) -> None:
        kwargs.setdefault("initial", {"customer": quote.customer_id})
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(
            tenant=quote.tenant, closed_at__isnull=True
        ).order_by("name")
