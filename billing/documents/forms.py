from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.documents.models import InvoiceLine, Settlement


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
