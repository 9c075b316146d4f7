"""Template filters for money and dates in the reader's language."""

from decimal import Decimal

from django import template
from django.utils import translation

from core.money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | str | None, currency: str) -> str:
    """{{ amount|money:currency }} → "€1,234.50" in English, "1.234,50 €" in German."""
    if amount is None or amount == "":
        return ""
    language = (translation.get_language() or "en").split("-")[0]
    return format_money(Decimal(amount), currency, language)
