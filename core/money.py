"""Money: Decimal amounts with an ISO 4217 currency, rounded in exactly one place.

Rounding rule (DESIGN.md): half-up, to the currency's minor unit; a line's net is rounded, net
totals are sums of rounded lines, VAT is rounded once per rate (billing.documents.calculations).
Integer minor units exist only at gateway boundaries (Stripe wants "cents").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import format_currency, get_currency_precision


@cache
def minor_unit_exponent(currency: str) -> int:
    """Digits after the decimal point for the currency: EUR 2, JPY 0, KWD 3."""
    return get_currency_precision(currency.upper())


@cache
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit_exponent(currency))


def round_money(amount: Decimal | int | str, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit. Floats are refused: they are not money."""
    if isinstance(amount, float):
        raise TypeError("money must not be a float; pass a Decimal or a string")
    return Decimal(amount).quantize(_quantum(currency), rounding=ROUND_HALF_UP)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Integer minor units (e.g. cents) for a gateway; the amount must already be rounded."""
    rounded = round_money(amount, currency)
    if rounded != amount:
        raise ValueError(f"{amount} {currency} is not rounded to the currency's minor unit")
    return int(rounded.scaleb(minor_unit_exponent(currency)))


def from_minor_units(units: int, currency: str) -> Decimal:
    return Decimal(units).scaleb(-minor_unit_exponent(currency))


# The CLDR locale for a language where it is not the language code itself: English follows
# British usage, as dates do (the table in core/formats/__init__.py): "US$", not a bare "$".
BABEL_LOCALES = {"en": "en_GB"}


def babel_locale(language: str) -> str:
    """The Babel locale for a language code ("en", "fr") or a locale ("de_CH", kept)."""
    code = (language or "en").replace("-", "_")
    return BABEL_LOCALES.get(code.lower(), code)


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    """Localized display, e.g. 1.234,50 € in German, €1,234.50 in English; `locale` is a
    language code, as `translation.get_language()` gives it."""
    return format_currency(amount, currency.upper(), locale=babel_locale(locale))


# Unit prices are stored with 4 places (DESIGN.md, Money).
UNIT_PRICE_PLACES = 4


def format_unit_price(amount: Decimal, currency: str, locale: str) -> str:
    """A unit price as stored, up to 4 places, without trailing zeros past the currency's own
    digits (€0.005, €1.2345, €12.50), so that quantity times the shown price is the line's net;
    `format_money` would round it to the currency's minor unit."""
    stored = Decimal(amount).quantize(Decimal(1).scaleb(-UNIT_PRICE_PLACES), rounding=ROUND_HALF_UP)
    # Babel keeps the currency's minimum digits and drops the trailing zeros beyond them.
    return format_currency(
        stored, currency.upper(), locale=babel_locale(locale), decimal_quantization=False
    )


@dataclass(frozen=True, slots=True)
class Money:
    """An amount with its currency; arithmetic refuses to mix currencies."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, float):
            raise TypeError("money must not be a float")
        object.__setattr__(self, "amount", Decimal(self.amount))
        object.__setattr__(self, "currency", self.currency.upper())

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other!r}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def rounded(self) -> Money:
        return Money(round_money(self.amount, self.currency), self.currency)

    def format(self, locale: str) -> str:
        return format_money(self.amount, self.currency, locale)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
