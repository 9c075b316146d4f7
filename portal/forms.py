from django import forms
from django.conf import settings
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


class LanguageForm(forms.Form):
    """The language a person reads the portal in; empty leaves it to their browser."""

    language = forms.ChoiceField(
        label=_("Language of the portal's pages"),
        required=False,
        help_text=_(
            "Saved with your login, on every device. Invoices, quotes and e-mails about your "
            "account are written in the account's document language."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            ("", _("The language my browser asks for")),
            *settings.LANGUAGES,
        ]
