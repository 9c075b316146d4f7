"""The payment link page's forms: the tariff to buy, and a stranger's sign-up."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from billing.ordering.links import SignUp
from core.forms import WellFormedModelChoiceField
from core.models import User
from core.validators import normalize_vat_id, validate_vat_id
from subscriptions.models import Tariff


class TariffChoiceForm(forms.Form):
    """With several tariffs the buyer picks one; with one there is nothing to pick."""

    def __init__(self, *args, tariffs: QuerySet[Tariff], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tariffs = list(tariffs)
        if len(self.tariffs) > 1:
            self.fields["tariff"] = WellFormedModelChoiceField(
                label=_("Tariff"),
                queryset=tariffs,
                widget=forms.RadioSelect,
                empty_label=None,
                error_messages={"required": _("Please choose a tariff.")},
            )
            self.order_fields(["tariff"])

    def chosen_tariff(self) -> Tariff:
        """After is_valid(): the tariff picked, or the only one."""
        if "tariff" in self.fields:
            return self.cleaned_data["tariff"]
        return self.tariffs[0]


class LinkSignUpForm(TariffChoiceForm):
    """Company, billing address (as the contract data holds it), VAT id, the person."""

    company = forms.CharField(label=capfirst(_("company")), max_length=200)
    street = forms.CharField(label=capfirst(_("street and number")), max_length=200)
    street_2 = forms.CharField(label=capfirst(_("address line 2")), max_length=200, required=False)
    postal_code = forms.CharField(label=capfirst(_("postal code")), max_length=20)
    city = forms.CharField(label=capfirst(_("city")), max_length=100)
    country = forms.CharField(
        label=capfirst(_("country")),
        max_length=2,
        help_text=_("Two-letter code, e.g. DE or FR."),
        widget=forms.TextInput(attrs={"size": 2, "autocomplete": "country"}),
    )
    # The customer's own field validator: the same formats the back office accepts.
    vat_id = forms.CharField(
        label=_("VAT number"),
        max_length=20,
        required=False,
        validators=[validate_vat_id],
        help_text=_("Optional; e.g. DE136695976."),
    )
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise forms.ValidationError(_("Use the two-letter country code, e.g. DE or FR."))
        return country

    def clean_vat_id(self) -> str:
        return normalize_vat_id(self.cleaned_data["vat_id"])

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"].strip()).lower()

    def clean(self) -> dict:
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            # Django's validators (AUTH_PASSWORD_VALIDATORS), against the person being made.
            person = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password, user=person)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned

    def sign_up(self) -> SignUp:
        c = self.cleaned_data
        return SignUp(
            company=c["company"],
            street=c["street"],
            street_2=c["street_2"],
            postal_code=c["postal_code"],
            city=c["city"],
            country=c["country"],
            vat_id=c["vat_id"],
            full_name=c["full_name"],
            email=c["email"],
            password=c["password"],
        )
