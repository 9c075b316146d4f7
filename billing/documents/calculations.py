"""Amounts on documents, rounded in one place (core.money.round_money): per line, half-up, to
the currency's minor unit; totals are sums of rounded lines; tax per rate is the sum of the
lines' tax at that rate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.money import round_money

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    gross: Decimal


def line_amounts(
    *, quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, currency: str
) -> LineAmounts:
    net = round_money(quantity * unit_price, currency)
    tax = round_money(net * tax_rate / HUNDRED, currency)
    return LineAmounts(net, tax, net + tax)


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal
    tax_by_rate: dict[Decimal, tuple[Decimal, Decimal]]  # rate -> (net, tax)


def totals(lines: Iterable) -> Totals:
    """Sum lines that carry net_amount, tax_amount, gross_amount and tax_rate."""
    net = tax = gross = Decimal(0)
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for line in lines:
        net += line.net_amount
        tax += line.tax_amount
        gross += line.gross_amount
        rate_net, rate_tax = by_rate.get(line.tax_rate, (Decimal(0), Decimal(0)))
        by_rate[line.tax_rate] = (rate_net + line.net_amount, rate_tax + line.tax_amount)
    return Totals(net, tax, gross, dict(sorted(by_rate.items(), reverse=True)))
