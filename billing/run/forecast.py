"""The customer's billing schedule: every invoice the billing run will issue in the coming
months, with its amounts, the customer credit it will take, and when each subscription may end.

Forecast by the run's own code, on copies of the subscriptions in memory: the period after
period (`lines.next_period`), its lines (`lines.period_lines`: prices, options, the discount while
it runs, pending charges), moving on (`lines.advance`: cycles and discounted periods counted
down, scheduled ends), the invoice's totals and VAT (`invoice_finalization`), a scheduled tariff
change as the daily job applies it (`tariff_switch`) and the credit a finalized invoice takes
(`credit_to_use`). Only the loop that calls them is this module's. A query count that does not
grow with the subscriptions: they, their options, their pending charges, the scheduled tariffs'
prices and options, the credit balance, the tax rate.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from billing.documents.credit_notes import credit_to_use
from billing.documents.finalization import (
    LineIn,
    buyer_snapshot,
    invoice_finalization,
    seller_snapshot,
)
from billing.documents.models import CustomerCreditEntry
from billing.documents.selectors import default_tax_rate
from billing.run.lines import BILLED_STATUSES, advance, bills_again, next_period, period_lines
from contracts.models import Customer
from core.models import Tenant
from core.money import round_money
from subscriptions.models import (
    PendingCharge,
    Subscription,
    SubscriptionOption,
    SubscriptionStatus,
)
from subscriptions.periods import Period, add_months
from subscriptions.services import cancellation_earliest_end, tariff_switch

SCHEDULE_MONTHS = 12


@dataclass(frozen=True)
class ScheduledLine:
    description: str
    net_amount: Decimal
    gross_amount: Decimal
    is_discount: bool


@dataclass
class ScheduledInvoice:
    """One invoice the run will issue: on `issue_date`, for one period of one subscription."""

    issue_date: date
    subscription: Subscription  # as it stands today (not the forecast's copy)
    tariff_name: str  # the tariff billed then: a scheduled change may have taken over
    tariff_changed: bool  # the first invoice on a scheduled new tariff
    period: Period
    service_end: date  # the period's last day, or the subscription's last day if earlier
    currency: str
    lines: list[ScheduledLine]
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal
    discount_amount: Decimal  # net taken off by the discount line (positive), 0: none
    discount_periods_left: int | None  # discounted invoices left after this one (None: for ever)
    cycles_left: int | None  # invoices left after this one (None: until cancelled)
    is_last: bool  # no invoice follows: the subscription ends or its cycles are used up
    credit_applied: Decimal = Decimal(0)

    @property
    def amount_due(self) -> Decimal:
        return self.gross_amount - self.credit_applied


@dataclass(frozen=True)
class SubscriptionOutlook:
    """When a subscription may be left, and what is scheduled for it."""

    subscription: Subscription
    billed: bool  # does the run bill it (not while suspended)
    ends_on: date | None  # a cancellation is scheduled: its last day
    minimum_term_ends: date | None  # the minimum term's last day, while it runs
    earliest_end: date | None  # the last day, if cancelled today
    cancel_by: date | None  # the last day to give notice for that end
    change_tariff: str  # a scheduled tariff change ("" none) …
    change_on: date | None  # … from this day


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    net_amount: Decimal
    gross_amount: Decimal
    credit_applied: Decimal
    amount_due: Decimal
    credit_now: Decimal  # the balance today
    credit_left: Decimal  # the balance after the schedule's last invoice


@dataclass
class BillingSchedule:
    today: date
    until: date  # exclusive: invoices issued before this day
    invoices: list[ScheduledInvoice] = field(default_factory=list)
    outlooks: list[SubscriptionOutlook] = field(default_factory=list)
    totals: list[CurrencyTotal] = field(default_factory=list)

    @property
    def last_day(self) -> date:
        return self.until - timedelta(days=1)


def _credit_balances(customer: Customer) -> dict[str, Decimal]:
    rows = (
        CustomerCreditEntry.objects.filter(tenant=customer.tenant, customer=customer)
        .values_list("currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    # SQLite sums decimals in floating point: round back to the currency, as
    # credit_notes.customer_credit_balance does.
    return {currency: round_money(Decimal(total or 0), currency) for currency, total in rows}


def _outlook(subscription: Subscription, today: date) -> SubscriptionOutlook:
    ends_on = (
        subscription.ends_on if subscription.status == SubscriptionStatus.SCHEDULED_END else None
    )
    minimum_end = add_months(subscription.anchor_on, subscription.minimum_term_months)
    earliest = cancel_by = None
    if subscription.is_changeable:
        earliest = cancellation_earliest_end(subscription, today)
        # Service stops on `earliest`; notice must reach the business `notice_period_days`
        # before the day after it (periods.earliest_end).
        cancel_by = earliest + timedelta(days=1 - subscription.notice_period_days)
    changing = subscription.status == SubscriptionStatus.SCHEDULED_CHANGE
    return SubscriptionOutlook(
        subscription=subscription,
        billed=subscription.status in BILLED_STATUSES,
        ends_on=ends_on,
        minimum_term_ends=(
            minimum_end - timedelta(days=1)
            if subscription.minimum_term_months and minimum_end > today
            else None
        ),
        earliest_end=earliest,
        cancel_by=cancel_by,
        change_tariff=subscription.scheduled_tariff.localized_name if changing else "",
        change_on=subscription.change_on if changing else None,
    )


def _forecast_one(
    subscription: Subscription,
    *,
    options: list[SubscriptionOption],
    charges: list[PendingCharge],
    today: date,
    until: date,
    rate: Decimal,
    seller: dict,
    buyer: dict,
) -> list[ScheduledInvoice]:
    """The run's invoices for one subscription, day after day until `until`: on a copy, so the
    subscription shown stays as it is today."""
    forecast = copy.copy(subscription)
    invoices: list[ScheduledInvoice] = []
    changed = False
    while bills_again(forecast):
        # The run bills a period on its first day, or on the day it runs if that is later.
        day = max(forecast.next_invoice_on, today)
        if forecast.status == SubscriptionStatus.SCHEDULED_CHANGE and forecast.change_on <= day:
            # The daily job (subscriptions_apply_due) puts the new tariff on first.
            target = forecast.scheduled_tariff
            tariff_switch(forecast, target, on=forecast.change_on)
            forecast.status = SubscriptionStatus.ACTIVE
            allowed = {option.pk for option in target.options.all()}
            options = [booked for booked in options if booked.option_id in allowed]
            changed = True
            continue
        if day >= until:
            break
        period = next_period(forecast)
        lines = period_lines(forecast, period, options, charges, rate)
        advance(forecast, period.end)
        charges = []  # pending charges ride on the next invoice only
        final = invoice_finalization(
            customer=subscription.customer,
            currency=forecast.currency,
            lines=[LineIn.of(line) for line in lines],
            today=day,
            seller=seller,
            buyer=buyer,
            without_rate=True,
        )
        shown = [
            ScheduledLine(
                description=line["description"],
                net_amount=amounts.net_amount,
                gross_amount=amounts.gross_amount,
                # Only the discount line is negative (prices, options and charges are not).
                is_discount=line["unit_price"] < 0,
            )
            for line, amounts in zip(lines, final.lines, strict=True)
        ]
        invoices.append(
            ScheduledInvoice(
                issue_date=day,
                subscription=subscription,
                tariff_name=forecast.tariff.localized_name,
                tariff_changed=changed,
                period=period,
                service_end=min(period.last_day, forecast.ends_on or period.last_day),
                currency=forecast.currency,
                lines=shown,
                net_amount=final.net_amount,
                tax_amount=final.tax_amount,
                gross_amount=final.gross_amount,
                discount_amount=-sum(
                    (line.net_amount for line in shown if line.is_discount), Decimal(0)
                ),
                discount_periods_left=forecast.discount_periods_left,
                cycles_left=forecast.remaining_cycles,
                is_last=not bills_again(forecast),
            )
        )
        changed = False
    return invoices


def billing_schedule(
    *, tenant: Tenant, customer: Customer, today: date, months: int = SCHEDULE_MONTHS
) -> BillingSchedule:
    """Every invoice the billing run will issue to `customer` from `today` for `months`
    months, in the order the run issues them, each with the customer credit it will take."""
    if customer.tenant_id != tenant.pk:
        raise ValueError("the customer is not one of this business's")
    customer.tenant = tenant
    schedule = BillingSchedule(today=today, until=add_months(today, months))
    subscriptions = list(
        Subscription.objects.filter(
            tenant=tenant,
            customer=customer,
            status__in=[*BILLED_STATUSES, SubscriptionStatus.SUSPENDED],
        )
        # discount_code: its code names the discount line, as in the run.
        .select_related("tariff__module", "discount_code", "scheduled_tariff__module")
        .prefetch_related("scheduled_tariff__prices", "scheduled_tariff__options")
        .order_by("started_on", "pk")
    )
    for subscription in subscriptions:
        subscription.tenant, subscription.customer = tenant, customer
    schedule.outlooks = [_outlook(s, today) for s in subscriptions]
    billed = [s for s in subscriptions if s.status in BILLED_STATUSES]
    ids = [s.pk for s in billed]
    # The options and pending charges as the run reads them (billing.run.services._run_batch).
    options = defaultdict(list)
    for booked in SubscriptionOption.objects.filter(subscription_id__in=ids).select_related(
        "option"
    ):
        options[booked.subscription_id].append(booked)
    charges = defaultdict(list)
    for charge in PendingCharge.objects.filter(subscription_id__in=ids, invoiced_at__isnull=True):
        charges[charge.subscription_id].append(charge)
    if billed:
        rate = default_tax_rate(tenant)
        seller, buyer = seller_snapshot(tenant), buyer_snapshot(customer)
        for subscription in billed:
            schedule.invoices += _forecast_one(
                subscription,
                options=options[subscription.pk],
                charges=charges[subscription.pk],
                today=today,
                until=schedule.until,
                rate=rate,
                seller=seller,
                buyer=buyer,
            )
    # Issued in this order; invoices of one day come in one batch of the run, in no set order:
    # the subscription's age stands in for it.
    order = {s.pk: position for position, s in enumerate(subscriptions)}
    schedule.invoices.sort(key=lambda i: (i.issue_date, order[i.subscription.pk]))
    balances = _credit_balances(customer)
    left = dict(balances)
    for invoice in schedule.invoices:
        used = credit_to_use(
            available=left.get(invoice.currency, Decimal(0)), amount_due=invoice.gross_amount
        )
        invoice.credit_applied = used
        if used:
            left[invoice.currency] -= used
    schedule.totals = _totals(schedule.invoices, balances, left)
    return schedule


def _totals(
    invoices: list[ScheduledInvoice], balances: dict[str, Decimal], left: dict[str, Decimal]
) -> list[CurrencyTotal]:
    by_currency: dict[str, list[ScheduledInvoice]] = defaultdict(list)
    for invoice in invoices:
        by_currency[invoice.currency].append(invoice)
    zero = Decimal(0)
    return [
        CurrencyTotal(
            currency=currency,
            net_amount=sum((i.net_amount for i in group), zero),
            gross_amount=sum((i.gross_amount for i in group), zero),
            credit_applied=sum((i.credit_applied for i in group), zero),
            amount_due=sum((i.amount_due for i in group), zero),
            credit_now=balances.get(currency, zero),
            credit_left=left.get(currency, zero),
        )
        for currency, group in sorted(by_currency.items())
    ]
