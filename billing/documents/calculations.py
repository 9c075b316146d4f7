"""Amounts on documents, rounded in one place (core.money.round_money).

- A line's net is quantity times unit price, rounded half-up to the currency's minor unit; the
  document's net is the sum of the lines' nets.
- VAT is computed per rate, never per line: each rate's tax is that rate's net (the sum of its
  lines' nets) times rate, rounded once (EN 16931 BR-CO-17). The document's tax is the sum of the
  per-rate taxes and its gross is net + tax.
- A line's own tax and gross are its share of its rate's tax (`allocate`): the line's own
  rounded tax, with the rate's rounding residue (a cent or two) put on the line with the
  largest net, so that lines always add up to the document. Before a document is issued a
  line holds its own rounded tax (`line_amounts`), an estimate that issuing settles.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.money import round_money

HUNDRED = Decimal(100)
ZERO = Decimal(0)


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal
    gross: Decimal


def line_amounts(
    *, quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, currency: str
) -> LineAmounts:
    """One line on its own: its net, and its tax as if it were alone at its rate."""
    net = round_money(quantity * unit_price, currency)
    tax = rate_tax(net, tax_rate, currency)
    return LineAmounts(net, tax, net + tax)


def rate_tax(net: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The VAT on a rate's net: base times rate, rounded once (BR-CO-17)."""
    return round_money(net * rate / HUNDRED, currency)


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal
    tax_by_rate: dict[Decimal, tuple[Decimal, Decimal]]  # rate -> (net, tax), highest first


def totals(lines: Iterable, *, currency: str) -> Totals:
    """Total lines that carry net_amount and tax_amount: per rate, tax = round(net * rate / 100)."""
    nets: dict[Decimal, Decimal] = {}
    for line in lines:
        # Decimal keys compare by value: 19 and 19.00 are one rate.
        nets[line.tax_rate] = nets.get(line.tax_rate, ZERO) + line.net_amount
    by_rate = {
        rate: (net, rate_tax(net, rate, currency))
        for rate, net in sorted(nets.items(), reverse=True)
    }
    net = sum((n for n, _t in by_rate.values()), ZERO)
    tax = sum((t for _n, t in by_rate.values()), ZERO)
    return Totals(net, tax, net + tax, by_rate)


def allocate(
    lines: Sequence, tax_by_rate: dict[Decimal, tuple[Decimal, Decimal]], currency: str
) -> list[LineAmounts]:
    """Each line's share of its rate's tax, in the order given: its own rounded tax, and the
    rate's residue on the line with the largest net (the first of them), so that the lines'
    taxes add up to `tax_by_rate` exactly."""
    shares = [rate_tax(line.net_amount, line.tax_rate, currency) for line in lines]
    for rate, (_net, tax) in tax_by_rate.items():
        at_rate = [i for i, line in enumerate(lines) if line.tax_rate == rate]
        if not at_rate:
            continue
        residue = tax - sum((shares[i] for i in at_rate), ZERO)
        if residue:
            largest = max(at_rate, key=lambda i: (abs(lines[i].net_amount), -i))
            shares[largest] += residue
    return [
        LineAmounts(line.net_amount, share, line.net_amount + share)
        for line, share in zip(lines, shares, strict=True)
    ]


def issued_tax_by_rate(lines: Iterable) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """An issued document's VAT breakdown, rate -> (net, tax), highest rate first, read from
    what its lines hold: each line's tax is its share of its rate's tax, so the sums are the
    per-rate figures as issued — also for a document issued before VAT was rounded per rate,
    whose stored totals are sums of per-line rounded tax."""
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for line in lines:
        net, tax = by_rate.get(line.tax_rate, (ZERO, ZERO))
        by_rate[line.tax_rate] = (net + line.net_amount, tax + line.tax_amount)
    return dict(sorted(by_rate.items(), reverse=True))
