"""Template filters for money and dates in the reader's language."""

from datetime import date, datetime
from decimal import Decimal

from django import template
from django.utils import formats, translation

from core.dates import format_document_date
from core.money import format_money, format_unit_price

register = template.Library()


@register.filter
def money(amount: Decimal | str | None, currency: str) -> str:
    """{{ amount|money:currency }} → "€1,234.50" in English, "1.234,50 €" in German."""
    if amount is None or amount == "":
        return ""
    language = (translation.get_language() or "en").split("-")[0]
    return format_money(Decimal(amount), currency, language)


@register.filter
def unit_price(amount: Decimal | str | None, currency: str) -> str:
    """{{ line.unit_price|unit_price:currency }} → "€0.005", "€12.50": the stored precision, up to
    4 places, so quantity times the shown price is the line's net (`money` rounds to cents)."""
    if amount is None or amount == "":
        return ""
    language = (translation.get_language() or "en").split("-")[0]
    return format_unit_price(Decimal(amount), currency, language)


@register.filter
def quantity(value: Decimal | int | str | None) -> str:
    """{{ line.quantity|quantity }} → "1,250.5", "1.250,5", "3": as many decimals as it has
    (stored with 4: 2.5000 is 2.5), grouped, in the active language (core/formats)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value)
    except ArithmeticError:
        return str(value)
    # normalize() alone writes 1000 as 1E+3.
    number = number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()
    return formats.number_format(number, use_l10n=True, force_grouping=True)


@register.filter
def document_date(day: date | datetime | None, style: str = "") -> str:
    """{{ invoice.issue_date|document_date }} → "29 Nov 2026", "29.11.2026", "29 nov 2026";
    {{ line.service_start|document_date:"compact" }} → "29/11/2026", for narrow columns. In the
    active language (documents activate their own): `|date` and `|date:"SHORT_DATE_FORMAT"`
    (core/formats), which also read the ISO text a snapshot keeps."""
    if day is None or day == "":
        return ""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            return day
    return format_document_date(day, translation.get_language() or "en", compact=style == "compact")
