"""Dates as documents and e-mails write them, in the language they are written in.

The same convention as every page (the table in core/formats/__init__.py, Django's format
modules), reached with an explicit language, since a document or an e-mail is written in its
customer's language whatever the page's:

- `document`: the issue, due and payment dates (DATE_FORMAT): en "29 Nov 2026",
  fr "29 novembre 2026", de "29.11.2026", it "29 nov 2026", tr "29 Kas 2026";
- `compact`: the service period of a line, in a narrow column (SHORT_DATE_FORMAT):
  en "29/11/2026", fr "29/11/2026", de "29.11.2026", it "29/11/2026", tr "29.11.2026".
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import formats, timezone, translation

from core.money import babel_locale

__all__ = ["babel_locale", "format_document_date"]


def format_document_date(day: date | datetime, language: str, *, compact: bool = False) -> str:
    """`day` as the documents in `language` print it (see the module docstring)."""
    if isinstance(day, datetime):
        # A moment is dated where the business is (the active time zone), as Django's `date` does.
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    with translation.override(language or "en"):
        return formats.date_format(day, "SHORT_DATE_FORMAT" if compact else "DATE_FORMAT")
