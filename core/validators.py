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
