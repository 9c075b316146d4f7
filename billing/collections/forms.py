"""The statement-of-account period."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _


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
