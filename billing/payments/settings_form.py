"""The business's payment settings form (Owner): the gateway and its keys. Secrets (Stripe's
secret keys, NestPay's store key and API password) are write-only: shown masked, blank keeps
the stored one."""

from __future__ import annotations

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from billing.payments.models import Gateway, PaymentSettings
from billing.payments.models.nestpay import INSTALLMENT_COUNTS, NESTPAY_CURRENCIES

SECRET_FIELDS = (
    "stripe_secret_key",
    "stripe_webhook_secret",
    "nestpay_store_key",
    "nestpay_api_password",
)

# What NestPay cannot work without, by field name (labels come from the model).
NESTPAY_REQUIRED = (
    "nestpay_bank",
    "nestpay_client_id",
    "nestpay_store_key",
    "nestpay_api_user",
    "nestpay_api_password",
)


def masked(secret: str) -> str:
    """Enough to recognise a key, never enough to use it."""
    return f"{secret[:8]}…{secret[-4:]}" if len(secret) > 16 else ("•" * 8 if secret else "")


def _secret_field(label) -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=forms.PasswordInput)


def _override_url_field(label) -> forms.URLField:
    # Bank addresses are always https: an address typed without a scheme gets it.
    return forms.URLField(
        label=label,
        required=False,
        assume_scheme="https",
        # Only web addresses: the gateway talks HTTP(S) and nothing else (no ftp://, no file:).
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Leave blank to use the bank's address for the mode."),
    )


class PaymentSettingsForm(forms.ModelForm):
    stripe_secret_key = _secret_field(_("Stripe secret key"))
    stripe_webhook_secret = _secret_field(_("Stripe webhook signing secret"))
    nestpay_store_key = _secret_field(_("NestPay store key"))
    nestpay_api_password = _secret_field(_("NestPay API password"))
    nestpay_gate_url = _override_url_field(_("NestPay 3-D gate address (override)"))
    nestpay_api_url = _override_url_field(_("NestPay API address (override)"))
    nestpay_currencies = forms.MultipleChoiceField(
        label=_("NestPay currencies accepted"),
        choices=[(c, c) for c in NESTPAY_CURRENCIES],
        initial=["TRY"],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    nestpay_installments = forms.TypedMultipleChoiceField(
        label=_("installment counts offered"),
        choices=[(n, str(n)) for n in INSTALLMENT_COUNTS],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: no installments."),
    )
    nestpay_installments_min_currency = forms.ChoiceField(
        label=_("installments offered from (currency)"),
        choices=[(c, c) for c in NESTPAY_CURRENCIES],
        initial="TRY",
    )

    class Meta:
        model = PaymentSettings
        fields = [
            "gateway",
            "stripe_publishable_key",
            "stripe_secret_key",
            "stripe_webhook_secret",
            "nestpay_bank",
            "nestpay_mode",
            "nestpay_gate_url",
            "nestpay_api_url",
            "nestpay_client_id",
            "nestpay_store_key",
            "nestpay_api_user",
            "nestpay_api_password",
            "nestpay_store_type",
            "nestpay_currencies",
            "nestpay_installments",
            "nestpay_installments_min_amount",
            "nestpay_installments_min_currency",
            "partial_payments_allowed",
            "retry_days",
            "final_action",
        ]
        widgets = {"retry_days": forms.TextInput(attrs={"size": 20})}
        help_texts = {
            "retry_days": _(
                "Days after the first failed charge, e.g. [1, 3, 5, 7]. Empty or [] means no "
                "retries: the final step is taken at the first failure."
            )
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            stored = getattr(self.instance, name, "")
            self.fields[name].help_text = (
                _("Stored: %(key)s. Leave blank to keep it.") % {"key": masked(stored)}
                if stored
                else _("Not set.")
            )

    def _keep(self, name: str) -> str:
        return self.cleaned_data.get(name) or getattr(self.instance, name, "")

    def clean_stripe_secret_key(self) -> str:
        return self._keep("stripe_secret_key")

    def clean_stripe_webhook_secret(self) -> str:
        return self._keep("stripe_webhook_secret")

    def clean_nestpay_store_key(self) -> str:
        return self._keep("nestpay_store_key")

    def clean_nestpay_api_password(self) -> str:
        return self._keep("nestpay_api_password")

    def clean_nestpay_currencies(self) -> list[str]:
        chosen = self.cleaned_data.get("nestpay_currencies") or []
        if "TRY" not in chosen:
            raise forms.ValidationError(_("NestPay always accepts TRY: tick it."), code="no_try")
        return [c for c in NESTPAY_CURRENCIES if c in chosen]

    def clean_nestpay_installments(self) -> list[int]:
        return sorted(set(self.cleaned_data.get("nestpay_installments") or []))

    def clean_retry_days(self) -> list[int]:
        # A cleared field means "no retries", stored as the empty schedule the column can hold.
        return self.cleaned_data.get("retry_days") or []

    def clean(self):
        data = super().clean()
        if data.get("gateway") == Gateway.STRIPE and not (
            data.get("stripe_publishable_key") and data.get("stripe_secret_key")
        ):
            raise forms.ValidationError(_("Stripe needs its publishable and secret keys."))
        if data.get("gateway") == Gateway.NESTPAY:
            self._clean_nestpay(data)
        return data

    def _clean_nestpay(self, data: dict) -> None:
        missing = [self.fields[name].label for name in NESTPAY_REQUIRED if not data.get(name)]
        if missing:
            raise forms.ValidationError(
                _("NestPay needs: %(fields)s.") % {"fields": ", ".join(str(m) for m in missing)}
            )
        minimum = data.get("nestpay_installments_min_amount")
        if data.get("nestpay_installments") and minimum is None:
            self.add_error(
                "nestpay_installments_min_amount",
                _("Give the amount from which installments are offered."),
            )
        elif minimum is not None and minimum < 0:
            self.add_error("nestpay_installments_min_amount", _("Enter a positive amount."))
        currency = data.get("nestpay_installments_min_currency")
        if minimum is not None and currency not in (data.get("nestpay_currencies") or []):
            self.add_error(
                "nestpay_installments_min_currency",
                _("Choose one of the currencies NestPay accepts here."),
            )
