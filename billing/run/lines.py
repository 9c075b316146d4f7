"""One subscription period as the billing run bills it, without the database: which period is
next, its invoice lines (tariff prices, booked options, the discount, pending charges) and how
the subscription moves on afterwards. The run (billing.run.services), a checkout's review of the
first invoice and the customer's billing schedule (billing.run.forecast) all call these, so what
a customer is shown in advance is what the run then issues."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext

from billing.documents.calculations import line_amounts
from subscriptions.discounts import discount_amount, discount_description, discount_runs
from subscriptions.models import Subscription, SubscriptionStatus, price_item_text
from subscriptions.periods import Period, period_containing

# The statuses the run bills (billing.run.services.due_subscriptions).
BILLED_STATUSES = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.SCHEDULED_CHANGE,
    SubscriptionStatus.SCHEDULED_END,
)


def next_period(subscription: Subscription) -> Period:
    """The period the subscription's next invoice bills."""
    return period_containing(
        subscription.anchor_on, subscription.interval_months, subscription.next_invoice_on
    )


def bills_again(subscription: Subscription) -> bool:
    """Will the run bill this subscription another period, on or after `next_invoice_on`?
    The same conditions as `due_subscriptions`' query, on one subscription in memory."""
    return (
        subscription.status in BILLED_STATUSES
        and subscription.next_invoice_on is not None
        and (subscription.remaining_cycles is None or subscription.remaining_cycles > 0)
        and (subscription.ends_on is None or subscription.next_invoice_on <= subscription.ends_on)
    )


def advance(
    subscription: Subscription, next_start: date, *, discounted: bool | None = None
) -> None:
    """Move the subscription on to its next period, once the period's lines were made.

    `discounted`: the period's invoice had a discount line, so one fewer of the code's periods
    is left (none left: the discount stops). By default, whether `period_lines` gave it one — a
    discount still runs; pass False for a period this caller did not bill."""
    if discounted is None:
        discounted = discount_runs(subscription)
    subscription.next_invoice_on = next_start
    if discounted and subscription.discount_periods_left is not None:
        subscription.discount_periods_left = max(subscription.discount_periods_left - 1, 0)
    if subscription.remaining_cycles is not None:
        subscription.remaining_cycles -= 1
    if subscription.remaining_cycles == 0 or (
        subscription.ends_on is not None and next_start > subscription.ends_on
    ):
        subscription.next_invoice_on = None


def _amounts(line: dict, rate: Decimal, currency: str) -> dict:
    amounts = line_amounts(
        quantity=line["quantity"], unit_price=line["unit_price"], tax_rate=rate, currency=currency
    )
    return {
        "tax_rate": rate,
        "net_amount": amounts.net,
        "tax_amount": amounts.tax,
        "gross_amount": amounts.gross,
    }


def period_lines(subscription, period, options, charges, rate) -> list[dict]:
    """The invoice lines of one period: the tariff's prices, the booked options, one discount
    line while a discount runs (on those two only), then the pending charges. No query: the
    checkout calls it on an unsaved subscription to show the first invoice."""
    currency = subscription.currency
    last_day = period.last_day
    if subscription.ends_on is not None and subscription.ends_on < last_day:
        last_day = subscription.ends_on
    # The customer's document language, for the catalogue's texts as for the gettext ones: no
    # query, every language's text came with the tariff's and the options' rows.
    language = subscription.customer.language or subscription.tenant.locale
    module = subscription.tariff.module.text_in("name", language)
    lines = []
    for item in subscription.price_items:
        line = {
            "description": f"{module} — {price_item_text(item, language)}",
            "quantity": Decimal(subscription.quantity),
            "unit_price": Decimal(item["unit_price"]),
            "service_start": period.start,
            "service_end": last_day,
            "subscription": subscription,
        }
        lines.append({**line, **_amounts(line, rate, currency)})
    with translation.override(language):
        for booked in options:
            line = {
                "description": gettext("%(option)s (%(months)s × monthly price)")
                % {
                    "option": booked.option.text_in("name", language),
                    "months": subscription.interval_months,
                },
                "quantity": Decimal(booked.quantity),
                "unit_price": booked.unit_price * subscription.interval_months,
                "service_start": period.start,
                "service_end": last_day,
                "subscription": subscription,
                "option_id": booked.option_id,
            }
            lines.append({**line, **_amounts(line, rate, currency)})
        if discount_runs(subscription):
            discount = _discount_line(subscription, lines, period.start, last_day)
            lines.append({**discount, **_amounts(discount, rate, currency)})
    for charge in charges:
        line = {
            "description": charge.description,
            "quantity": Decimal(1),
            "unit_price": charge.amount,
            "service_start": charge.service_start,
            "service_end": charge.service_end,
            "subscription": subscription,
        }
        lines.append({**line, **_amounts(line, rate, currency)})
    return lines


def _discount_line(subscription, discounted: list[dict], start: date, last_day: date) -> dict:
    """One line taking the discount off the net of `discounted` (tariff and option lines;
    pending charges are not discounted). It is at the same rate, so the invoice's VAT at that
    rate is that of the discounted net, rounded once (calculations.totals, BR-CO-17)."""
    currency = subscription.currency
    net = sum((line["net_amount"] for line in discounted), Decimal(0))
    amount = discount_amount(subscription.discount_kind, subscription.discount_value, net, currency)
    code = subscription.discount_code
    return {
        "description": discount_description(
            code=code.code if code is not None else "",
            kind=subscription.discount_kind,
            value=subscription.discount_value,
            currency=currency,
        ),
        "quantity": Decimal(1),
        "unit_price": Decimal(0) - amount,  # never -0.00
        "service_start": start,
        "service_end": last_day,
        "subscription": subscription,
    }
