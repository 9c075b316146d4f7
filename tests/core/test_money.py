from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import (
    Money,
    format_money,
    from_minor_units,
    minor_unit_exponent,
    round_money,
    to_minor_units,
)

CURRENCIES = ["EUR", "USD", "CHF", "TRY", "GBP", "JPY", "KWD"]
amounts = st.decimals(
    min_value=Decimal("-1e12"),
    max_value=Decimal("1e12"),
    places=6,
    allow_nan=False,
    allow_infinity=False,
)


@pytest.mark.parametrize("currency,exponent", [("EUR", 2), ("JPY", 0), ("KWD", 3), ("TRY", 2)])
def test_minor_units_follow_iso_4217(currency, exponent):
    assert minor_unit_exponent(currency) == exponent


@pytest.mark.parametrize(
    "amount,currency,expected",
    [
        ("2.675", "EUR", "2.68"),  # half-up, where binary floats would give 2.67
        ("2.665", "EUR", "2.67"),
        ("-2.665", "EUR", "-2.67"),  # half away from zero for negatives (credit notes)
        ("0.005", "EUR", "0.01"),
        ("0.004999", "EUR", "0.00"),
        ("1234.5", "JPY", "1235"),
        ("1.0005", "KWD", "1.001"),
    ],
)
def test_rounding_is_half_up_to_the_minor_unit(amount, currency, expected):
    assert round_money(Decimal(amount), currency) == Decimal(expected)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        round_money(0.1, "EUR")
    with pytest.raises(TypeError):
        Money(0.1, "EUR")


@given(amounts, st.sampled_from(CURRENCIES))
def test_rounding_is_idempotent_and_moves_less_than_half_a_unit(amount, currency):
    once = round_money(amount, currency)
    assert round_money(once, currency) == once
    assert abs(once - amount) <= Decimal(1).scaleb(-minor_unit_exponent(currency)) / 2


@given(amounts, st.sampled_from(CURRENCIES))
def test_minor_units_round_trip(amount, currency):
    rounded = round_money(amount, currency)
    assert from_minor_units(to_minor_units(rounded, currency), currency) == rounded


def test_unrounded_amounts_never_reach_a_gateway():
    with pytest.raises(ValueError):
        to_minor_units(Decimal("1.005"), "EUR")
    assert to_minor_units(Decimal("10.50"), "EUR") == 1050
    assert to_minor_units(Decimal("500"), "JPY") == 500


@given(st.lists(amounts, min_size=1, max_size=20), st.sampled_from(CURRENCIES))
def test_a_sum_of_rounded_lines_is_already_rounded(lines, currency):
    total = sum((Money(round_money(a, currency), currency) for a in lines), Money(0, currency))
    assert total.rounded() == total


def test_money_refuses_to_mix_currencies():
    with pytest.raises(ValueError):
        Money(Decimal("1"), "EUR") + Money(Decimal("1"), "USD")


@pytest.mark.parametrize(
    "locale,expected",
    [
        ("en", "€1,234.50"),
        ("de", "1.234,50\xa0€"),
        ("fr", "1\u202f234,50\xa0€"),
        ("it", "1.234,50\xa0€"),
        ("tr", "€1.234,50"),
    ],
)
def test_amounts_are_formatted_for_the_reader(locale, expected):
    assert format_money(Decimal("1234.5"), "EUR", locale) == expected


@given(
    units=st.integers(min_value=0, max_value=10**12),
    currency=st.sampled_from(["EUR", "JPY", "KWD", "CHF", "TRY"]),
)
def test_minor_units_round_trip_exactly(units, currency):
    from core.money import from_minor_units, to_minor_units

    assert to_minor_units(from_minor_units(units, currency), currency) == units
