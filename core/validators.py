import zoneinfo

from babel.numbers import list_currencies
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_CURRENCIES = frozenset(list_currencies())


def validate_currency(value: str) -> None:
    if value not in _CURRENCIES:
        raise ValidationError(
            _("%(value)s is not an ISO 4217 currency code."),
            params={"value": value},
            code="currency",
        )


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a known time zone."), params={"value": value}, code="timezone"
        )


def validate_number_format(value: str) -> None:
    """A document number pattern such as INV-{year}-{number:06d}: it must use {number} and
    format cleanly, or numbering would fail at the worst moment (finalizing an invoice)."""
    try:
        value.format(year=2026, number=1)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValidationError(
            _("Use only the placeholders {year} and {number}, e.g. INV-{year}-{number:06d}."),
            code="number_format",
        ) from exc
    if "{number" not in value:
        raise ValidationError(_("The format must contain {number}."), code="number_format")
