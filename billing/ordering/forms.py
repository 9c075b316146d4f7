"""The checkout's form: how many, which options, a discount code, the terms."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.ordering.services import QUANTITY_MAX, Choice
from subscriptions.models import Tariff

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
    accept_terms = forms.BooleanField(label=_("I accept the terms"), required=False)

    def __init__(self, *args, tariff: Tariff, terms_ids: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tariff = tariff
        self.fields["key"].initial = uuid.uuid4()
        self.fields["terms"].initial = ",".join(str(pk) for pk in terms_ids)
        self.options = list(tariff.options.all())
        for option in self.options:
            self.fields[f"{OPTION_PREFIX}{option.pk}"] = forms.IntegerField(
                label=option.name,
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

    def choice(self) -> Choice:
        data = self.cleaned_data
        return Choice(
            tariff=self.tariff,
            quantity=data["quantity"],
            options=tuple(
                (option, data[f"{OPTION_PREFIX}{option.pk}"])
                for option in self.options
                if data.get(f"{OPTION_PREFIX}{option.pk}")
            ),
        )
