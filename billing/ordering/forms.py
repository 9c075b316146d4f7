"""The checkout's form: how many, which options, a discount code, the terms."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.ordering.links import payment_link_options
from billing.ordering.models import PaymentLink
from billing.ordering.services import QUANTITY_MAX, Choice
from subscriptions.discounts import discount_code_find
from subscriptions.models import DiscountCode, Option, Tariff

OPTION_PREFIX = "option_"


class CheckoutForm(forms.Form):
    key = forms.UUIDField(widget=forms.HiddenInput)
    terms = forms.CharField(widget=forms.HiddenInput, required=False)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=QUANTITY_MAX,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    code = forms.CharField(
        label=_("Discount code"),
        max_length=40,
        required=False,
        help_text=_("If you have one."),
    )
    accept_terms = forms.BooleanField(label=_("I accept the terms"), required=False)

    def __init__(
        self,
        *args,
        tariff: Tariff,
        terms_ids: list[int],
        today,
        link: PaymentLink | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tariff = tariff
        self.today = today
        self.fields["key"].initial = uuid.uuid4()
        self.fields["terms"].initial = ",".join(str(pk) for pk in terms_ids)
        # A payment link sells its tariff with the options it includes, and its own code.
        self.included: list[Option] = payment_link_options(link, tariff) if link else []
        self.link_code: DiscountCode | None = None
        self.link_code_lapsed = False
        if link is not None and link.discount_code_id is not None:
            del self.fields["code"]
            try:
                self.link_code = discount_code_find(
                    tenant=tariff.tenant, code=link.discount_code.code, tariff=tariff, today=today
                )
            except forms.ValidationError:
                self.link_code_lapsed = True
        self.options = [] if link is not None else list(tariff.options.all())
        for option in self.options:
            self.fields[f"{OPTION_PREFIX}{option.pk}"] = forms.IntegerField(
                label=option.localized_name,
                min_value=0,
                max_value=QUANTITY_MAX,
                initial=0,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    def option_fields(self):
        return [(o, self[f"{OPTION_PREFIX}{o.pk}"]) for o in self.options]

    def clean_terms(self) -> list[int]:
        raw = self.cleaned_data.get("terms") or ""
        try:
            return sorted(int(part) for part in raw.split(",") if part)
        except ValueError:
            raise forms.ValidationError(_("Reload the page and try again."), code="terms") from None

    def clean_code(self) -> DiscountCode | None:
        code = self.cleaned_data.get("code") or ""
        if not code.strip():
            return None
        return discount_code_find(
            tenant=self.tariff.tenant, code=code, tariff=self.tariff, today=self.today
        )

    def choice(self) -> Choice:
        """What the valid form chose, or (unbound) what the page starts from."""
        data = self.cleaned_data if self.is_bound else {"quantity": 1}
        return Choice(
            tariff=self.tariff,
            quantity=data["quantity"],
            options=tuple((option, 1) for option in self.included)
            + tuple(
                (option, data[f"{OPTION_PREFIX}{option.pk}"])
                for option in self.options
                if data.get(f"{OPTION_PREFIX}{option.pk}")
            ),
            code=data.get("code") or self.link_code,
        )
