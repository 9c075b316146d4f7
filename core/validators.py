import zoneinfo
from string import Formatter

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
    """A document number pattern such as INV-{year}-{number:06d}: only {year} and {number}, each
    with at most a format spec, and {number} present — or numbering would fail at the worst
    moment (finalizing an invoice)."""
    message = _("Use only the placeholders {year} and {number}, e.g. INV-{year}-{number:06d}.")
    try:
        parsed = Formatter().parse(value)
        fields = [name for _text, name, _spec, _conv in parsed if name is not None]
        if any(name not in ("year", "number") for name in fields):
            raise ValueError(fields)
        value.format(year=2026, number=1)
    except (ValueError, TypeError) as exc:
        raise ValidationError(message, code="number_format") from exc
    if "number" not in fields:
        raise ValidationError(_("The format must contain {number}."), code="number_format")
