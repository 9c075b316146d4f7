"""What a quote's lines come to, through billing's calculation code (`line_amounts`, `totals`,
VAT per rate rounded once), never a copy: a one-off line is priced as an invoice line, a
recurring line as the billing run will bill one period of the subscription it becomes, and a
deposit as its invoice will come to."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from billing.documents.calculations import LineAmounts, line_amounts, rate_tax, totals
from core.money import round_money
from quotes.models import DepositKind, Quote, QuoteLine
from subscriptions.models import Tariff

HUNDRED = Decimal(100)
# The amount columns hold 19 digits, 2 after the point: anything larger cannot be stored.
LARGEST_AMOUNT = Decimal("1e17")


def recurring_line_amounts(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    options: Iterable,
    months: int,
    rate: Decimal,
    currency: str,
) -> LineAmounts:
    """One period of a recurring line, as the billing run will invoice it: the tariff's line
    and one line per option (its monthly price times the interval), each net rounded, then
    summed; all at one rate, so the VAT is that of the summed net, rounded once (BR-CO-17)."""
    parts = [
        line_amounts(quantity=quantity, unit_price=unit_price, tax_rate=rate, currency=currency)
    ]
    parts += [
        line_amounts(
            quantity=Decimal(o.quantity),
            unit_price=o.unit_price * months,
            tax_rate=rate,
            currency=currency,
        )
        for o in options
    ]
    net = sum((p.net for p in parts), Decimal(0))
    tax = rate_tax(net, rate, currency)
    return LineAmounts(net, tax, net + tax)


def price_line(line: QuoteLine, currency: str) -> None:
    """Set a line's net, tax and gross (one period's, for a recurring line)."""
    if line.is_recurring:
        amounts = recurring_line_amounts(
            quantity=line.quantity,
            unit_price=line.unit_price,
            options=line.options.all(),
            months=line.tariff.interval_months,
            rate=line.tax_rate,
            currency=currency,
        )
    else:
        amounts = line_amounts(
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            currency=currency,
        )
    if abs(amounts.gross) >= LARGEST_AMOUNT or abs(amounts.net) >= LARGEST_AMOUNT:
        raise ValidationError(
            _("The amount of “%(line)s” is too large."),
            params={"line": line.description[:60]},
            code="too_large",
        )
    line.net_amount, line.tax_amount, line.gross_amount = amounts.net, amounts.tax, amounts.gross


def deposit_nets(quote: Quote, one_off: list[QuoteLine]) -> list[tuple[Decimal, Decimal]]:
    """The deposit's net amount per VAT rate of the one-off lines (the same rates as the
    goods it is paid on): a share of each rate's net for a percentage; for a fixed amount, each
    rate's share of it, less that rate's VAT."""
    summed = totals(one_off, currency=quote.currency)
    currency = quote.currency
    if quote.deposit_kind == DepositKind.PERCENT:
        share = quote.deposit_value / HUNDRED
        return [
            (rate, round_money(net * share, currency))
            for rate, (net, _tax) in summed.tax_by_rate.items()
        ]
    target = min(quote.deposit_value, summed.gross)
    nets = []
    for rate, (net, tax) in summed.tax_by_rate.items():
        gross_share = target * (net + tax) / summed.gross if summed.gross else Decimal(0)
        nets.append((rate, round_money(gross_share / (1 + rate / HUNDRED), currency)))
    return nets


def deposit_amount(quote: Quote, one_off: list[QuoteLine]) -> Decimal:
    """What the deposit invoice will come to, through the invoice's own line rounding."""
    return sum(
        (
            line_amounts(
                quantity=Decimal(1), unit_price=net, tax_rate=rate, currency=quote.currency
            ).gross
            for rate, net in deposit_nets(quote, one_off)
        ),
        Decimal(0),
    )


def tariff_price(tariff: Tariff) -> Decimal:
    """A tariff's price per period for one unit: its price list summed."""
    return sum((p.unit_price for p in tariff.prices.all()), Decimal(0))
