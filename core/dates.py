"""Dates as each document language writes them, through Babel (CLDR), in one place.

Django's `date:"DATE_FORMAT"` and `date:"SHORT_DATE_FORMAT"` mix styles on one page ("Nov. 29,
2026" beside "11/29/2026") and capitalise Italian months. Documents use two styles instead, the
same for every document of a language:

- `document`: the issue, due and payment dates: en "29 Nov 2026", fr "29 nov. 2026",
  de "29.11.2026", it "29 nov 2026", tr "29 Kas 2026" (CLDR's medium format);
- `compact`: the service period of a line, in a narrow column: en "29/11/2026",
  fr "29/11/2026", de "29.11.2026", it "29/11/2026", tr "29.11.2026" (CLDR's yMMdd skeleton).

English documents follow British usage (day, month, year): Kontor's businesses are European,
and "11/29/2026" reads as nonsense to most of their customers.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_skeleton
from django.utils import timezone

# The CLDR locale for a document language where it is not the language code itself.
BABEL_LOCALES = {"en": "en_GB"}


def babel_locale(language: str) -> str:
    code = (language or "en").split("-")[0].lower()
    return BABEL_LOCALES.get(code, code)


def format_document_date(day: date | datetime, language: str, *, compact: bool = False) -> str:
    """`day` as the documents in `language` print it (see the module docstring)."""
    if isinstance(day, datetime):
        # A moment is dated where the business is (the active time zone), as Django's `date` does.
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    locale = babel_locale(language)
    if compact:
        return format_skeleton("yMMdd", day, locale=locale)
    return format_date(day, "medium", locale=locale)
