from django import forms
from django.utils.translation import gettext_lazy as _


class AccountCloseForm(forms.Form):
    """Closing is final: the person types the customer's name to confirm."""

    confirm_name = forms.CharField(label=_("Type the company name to confirm"), max_length=200)

    def __init__(self, *args, customer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer

    def clean_confirm_name(self) -> str:
        value = self.cleaned_data["confirm_name"].strip()
        if value.casefold() != self.customer.name.strip().casefold():
            raise forms.ValidationError(_("That is not the company name."))
        return value
