"""The portal's quote request form: tariffs ticked from the catalogue, how many of each, their
add-on options, and a note. Field names carry the tariff's id (`quantity-12`, `options-12`), so
the page is one plain form with no script."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from quotes.requests import ItemIn
from subscriptions.models import Tariff

MAX_QUANTITY = 9999
NOTE_MAX_LENGTH = 2000


class QuoteRequestForm(forms.Form):
    tariffs = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose tariffs from the catalogue.")},
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you need, by when, anything we should know."),
    )

    def __init__(self, *args, tariffs: list[Tariff], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.catalogue = {t.pk: t for t in tariffs}
        self.fields["tariffs"].choices = [(t.pk, str(t)) for t in tariffs]
        for tariff in tariffs:
            self.fields[f"quantity-{tariff.pk}"] = forms.IntegerField(
                label=_("Quantity"),
                required=False,
                initial=1,
                min_value=1,
                max_value=MAX_QUANTITY,
                error_messages={
                    "min_value": _("Ask for at least one."),
                    "max_value": _("Ask for at most %(limit_value)s."),
                },
            )
            options = list(tariff.options.all())
            if options:
                self.fields[f"options-{tariff.pk}"] = forms.TypedMultipleChoiceField(
                    label=_("Add-on options"),
                    coerce=int,
                    required=False,
                    choices=[(o.pk, o.name) for o in options],
                    widget=forms.CheckboxSelectMultiple,
                    error_messages={
                        "invalid_choice": _("Choose add-on options offered with this tariff.")
                    },
                )

    def clean(self) -> dict:
        cleaned = super().clean()
        chosen = cleaned.get("tariffs") or []
        items: list[ItemIn] = []
        for pk, tariff in self.catalogue.items():
            options_field = f"options-{pk}"
            option_ids = set(cleaned.get(options_field) or [])
            if pk not in chosen:
                if option_ids:
                    self.add_error(
                        options_field, _("Tick the tariff too, to ask for its add-on options.")
                    )
                continue
            items.append(
                ItemIn(
                    tariff=tariff,
                    quantity=cleaned.get(f"quantity-{pk}") or 1,
                    options=[o for o in tariff.options.all() if o.pk in option_ids],
                )
            )
        if "tariffs" in cleaned and "note" in cleaned and not items and not cleaned["note"]:
            raise forms.ValidationError(
                _("Choose at least one tariff, or tell us what you need in the note."),
                code="empty",
            )
        cleaned["items"] = items
        return cleaned

    def rows(self) -> list[dict]:
        """What the page shows of each tariff, with its fields' values and errors as submitted."""
        chosen = {str(v) for v in (self["tariffs"].value() or [])}
        rows = []
        for pk, tariff in self.catalogue.items():
            quantity = self[f"quantity-{pk}"]
            options_field = f"options-{pk}"
            ticked = (
                {str(v) for v in (self[options_field].value() or [])}
                if options_field in self.fields
                else set()
            )
            rows.append(
                {
                    "tariff": tariff,
                    "chosen": str(pk) in chosen,
                    "quantity": quantity,
                    "options": [(o, str(o.pk) in ticked) for o in tariff.options.all()],
                    "option_errors": self.errors.get(options_field, []),
                }
            )
        return rows
