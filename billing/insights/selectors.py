"""The figures of the back office's dashboard: MRR and its movements, revenue, receivables by
age, churn and its reasons, upcoming renewals and dunning recoveries.

Rules every figure follows, so that they add up with each other:

- **One business, one currency.** Amounts in different currencies are never added up or
  converted (an exchange rate of the day would make last year's MRR move with the markets): each
  figure is for the one currency asked for, the business's own by default, and the dashboard
  offers the others the business has invoiced in.
- **Test accounts are left out**: rows of a customer marked as a test account, and documents
  numbered in the test series (`Invoice.is_test`, kept when the customer's flag changes later),
  together with what hangs on them (their credit notes, payments, dunning cases).
- **Months are calendar months** at the business's offices; a month is shown up to `today`.
- Each figure is a fixed number of queries, aggregated in the database where SQL can say it;
  MRR spreads each invoiced period over the months it covers in Python, over one grouped query.

MRR is read from what was invoiced, not from today's subscription rows (which keep only their
latest prices): a subscription's recurring lines (its tariff's prices, booked options and
discount; not one-off charges such as a prorated upgrade) of a non-void invoice, each period's
net divided by the period's length in months, counted on the last day of every month (today for
the current month) that the period covers. A customer's MRR moves between two months as
*new* (from nothing: a first subscription, or one coming back), *expansion* (up),
*contraction* (down, but not to nothing) or *churn* (to nothing); so
MRR(month) = MRR(month before) + new + expansion - contraction - churn, exactly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth

from billing.documents.models import CreditNote, Invoice, InvoiceLine, InvoiceStatus
from billing.payments.models import DunningCase, DunningOutcome, Payment
from core.models import Tenant
from core.money import round_money
from subscriptions.discounts import discount_amount, discount_runs
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.periods import add_months
from subscriptions.services import subscription_period_amount, tariff_period_amount

MONTHS_SHOWN = 12
RENEWAL_DAYS = 30
# Average days in a month (365.25 / 12): an invoiced period's length in whole months.
DAYS_PER_MONTH = Decimal("30.4375")
ZERO = Decimal(0)
MONEY = DecimalField(max_digits=19, decimal_places=2)


def _start_of(day: date, tenant: Tenant) -> datetime:
    """The first moment of `day` at the business's offices."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tenant.timezone))


def _money(field: str) -> Coalesce:
    return Coalesce(Sum(field), Value(ZERO), output_field=MONEY)


# ---------------------------------------------------------------------------------------------
# The window and the rows that count


def month_starts(today: date, months: int = MONTHS_SHOWN) -> list[date]:
    """The first days of the last `months` calendar months, the current one last."""
    current = today.replace(day=1)
    return [add_months(current, -back) for back in range(months - 1, -1, -1)]


def month_end(first_day: date) -> date:
    return add_months(first_day, 1) - timedelta(days=1)


def real_invoices(tenant: Tenant, currency: str) -> QuerySet[Invoice]:
    """The business's finalized invoices in `currency`, test accounts and test series left out."""
    return (
        Invoice.objects.filter(tenant=tenant, currency=currency)
        .exclude(status=InvoiceStatus.DRAFT)
        .filter(is_test=False, customer__is_test_account=False)
    )


def real_subscriptions(tenant: Tenant, currency: str) -> QuerySet[Subscription]:
    return Subscription.objects.filter(
        tenant=tenant, currency=currency, customer__is_test_account=False
    )


def insight_currencies(*, tenant: Tenant) -> list[str]:
    """The currencies the dashboard can be shown in: the business's own first, then every other
    one it has invoiced in (test accounts left out)."""
    used = (
        Invoice.objects.filter(tenant=tenant, is_test=False, customer__is_test_account=False)
        .exclude(status=InvoiceStatus.DRAFT)
        .exclude(currency=tenant.default_currency)
        .values_list("currency", flat=True)
        .distinct()
    )
    return [tenant.default_currency, *sorted(set(used))]


# ---------------------------------------------------------------------------------------------
# MRR


@dataclass(frozen=True)
class MrrMonth:
    month: date  # its first day
    mrr: Decimal  # on its last day (today, for the current month)
    new: Decimal
    expansion: Decimal
    contraction: Decimal  # positive: what was lost
    churn: Decimal  # positive: what was lost

    @property
    def net_change(self) -> Decimal:
        return self.new + self.expansion - self.contraction - self.churn


def period_months(start: date, end: date) -> int:
    """An invoiced period's length in whole months (a month, a quarter, a year…), at least one."""
    days = Decimal((end - start).days + 1)
    return max(1, int((days / DAYS_PER_MONTH).to_integral_value()))


def mrr_by_month(
    *, tenant: Tenant, currency: str, today: date, months: int = MONTHS_SHOWN
) -> list[MrrMonth]:
    firsts = month_starts(today, months)
    # The day each month's MRR is taken; the one before the window gives its first movements.
    days = [firsts[0] - timedelta(days=1)] + [min(month_end(m), today) for m in firsts]
    periods = (
        InvoiceLine.objects.filter(
            invoice__in=real_invoices(tenant, currency).exclude(status=InvoiceStatus.VOID),
            invoice__subscription__isnull=False,
            subscription__isnull=False,
            # The period's recurring lines start on the period's first day; a one-off charge
            # (a prorated upgrade) covers a part of it from another day.
            service_start=F("invoice__period_start"),
            service_start__lte=today,
            service_end__gte=days[0],
        )
        .values("invoice__customer_id", "service_start", "service_end")
        .annotate(net=Sum("net_amount"))
        .order_by()
    )
    per_day: list[dict[int, Decimal]] = [defaultdict(Decimal) for _ in days]
    for row in periods:
        start, end = row["service_start"], row["service_end"]
        monthly = row["net"] / period_months(start, end)
        for index, day in enumerate(days):
            if start <= day <= end:
                per_day[index][row["invoice__customer_id"]] += monthly
    # Rounded per customer, so that the movements add up to the totals to the cent.
    rounded = [
        {customer: round_money(amount, currency) for customer, amount in snapshot.items()}
        for snapshot in per_day
    ]
    result = []
    for index, first in enumerate(firsts, start=1):
        before, after = rounded[index - 1], rounded[index]
        moves = {"new": ZERO, "expansion": ZERO, "contraction": ZERO, "churn": ZERO}
        for customer in before.keys() | after.keys():
            old, new = before.get(customer, ZERO), after.get(customer, ZERO)
            if old == 0 and new != 0:
                moves["new"] += new
            elif new == 0 and old != 0:
                moves["churn"] += old
            elif new > old:
                moves["expansion"] += new - old
            elif new < old:
                moves["contraction"] += old - new
        result.append(
            MrrMonth(month=first, mrr=sum(after.values(), ZERO), **moves)  # type: ignore[arg-type]
        )
    return result


# ---------------------------------------------------------------------------------------------
# Revenue


@dataclass(frozen=True)
class RevenueMonth:
    month: date
    invoiced_net: Decimal  # invoices issued, net
    credited_net: Decimal  # credit notes issued (voided invoices included), net
    received: Decimal  # payments received, what the customers paid (VAT included)

    @property
    def net_after_credit_notes(self) -> Decimal:
        return self.invoiced_net - self.credited_net


def revenue_by_month(
    *, tenant: Tenant, currency: str, today: date, months: int = MONTHS_SHOWN
) -> list[RevenueMonth]:
    firsts = month_starts(today, months)
    window = {"issue_date__gte": firsts[0], "issue_date__lte": today}
    invoiced = dict(
        real_invoices(tenant, currency)
        .filter(**window)
        .annotate(month=TruncMonth("issue_date"))
        .values("month")
        .annotate(total=_money("net_amount"))
        .values_list("month", "total")
        .order_by()
    )
    credited = dict(
        CreditNote.objects.filter(
            tenant=tenant,
            currency=currency,
            invoice__is_test=False,
            customer__is_test_account=False,
            **window,
        )
        .annotate(month=TruncMonth("issue_date"))
        .values("month")
        .annotate(total=_money("net_amount"))
        .values_list("month", "total")
        .order_by()
    )
    received = dict(
        Payment.objects.filter(
            tenant=tenant,
            currency=currency,
            customer__is_test_account=False,
            received_on__gte=firsts[0],
            received_on__lte=today,
        )
        .exclude(allocations__invoice__is_test=True)
        .annotate(month=TruncMonth("received_on"))
        .values("month")
        .annotate(total=_money("amount"))
        .values_list("month", "total")
        .order_by()
    )
    return [
        RevenueMonth(
            month=m,
            invoiced_net=invoiced.get(m, ZERO),
            credited_net=credited.get(m, ZERO),
            received=received.get(m, ZERO),
        )
        for m in firsts
    ]


# ---------------------------------------------------------------------------------------------
# Receivables by age


@dataclass(frozen=True)
class AgeingBucket:
    key: str  # current, 1-30, 31-60, 61-90, 90+
    count: int
    amount: Decimal


# (key, first day overdue, last day overdue); "current" is not due yet or due today.
AGEING_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("current", None, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)


def receivables_ageing(*, tenant: Tenant, currency: str, today: date) -> list[AgeingBucket]:
    """What open invoices still owe, by how many days past their due date they are today.
    Written-off (uncollectible) invoices are no longer receivables and are left out."""
    due = ExpressionWrapper(
        F("gross_amount") - F("amount_paid") - F("amount_credited"), output_field=MONEY
    )
    open_invoices = (
        real_invoices(tenant, currency)
        .filter(status=InvoiceStatus.OPEN)
        .annotate(owed=due)
        .filter(owed__gt=0)
    )
    aggregates = {}
    for key, first, last in AGEING_BUCKETS:
        # `first` days overdue: due_date = today - first.
        within = Q()
        if first is not None:
            within &= Q(due_date__lte=today - timedelta(days=first))
        if last is not None:
            within &= Q(due_date__gte=today - timedelta(days=last))
        aggregates[f"n_{key}"] = Count("pk", filter=within)
        aggregates[f"a_{key}"] = Coalesce(
            Sum("owed", filter=within), Value(ZERO), output_field=MONEY
        )
    totals = open_invoices.aggregate(**aggregates)
    return [
        AgeingBucket(key=key, count=totals[f"n_{key}"], amount=totals[f"a_{key}"])
        for key, _first, _last in AGEING_BUCKETS
    ]


# ---------------------------------------------------------------------------------------------
# Churn


@dataclass(frozen=True)
class ChurnMonth:
    month: date
    cancelled: int  # cancellations made that month (the subscription may still run)
    ended: int  # subscriptions whose last day fell in that month


@dataclass(frozen=True)
class ChurnReason:
    reason: str  # as the first customer or staff member wrote it; "" when none was given
    count: int


def churn_by_month(
    *, tenant: Tenant, currency: str, today: date, months: int = MONTHS_SHOWN
) -> list[ChurnMonth]:
    firsts = month_starts(today, months)
    # Only subscriptions that were cancelled (an order abandoned at the checkout never ran).
    cancelled_subs = real_subscriptions(tenant, currency).filter(cancelled_at__isnull=False)
    cancelled = dict(
        cancelled_subs.filter(cancelled_at__gte=_start_of(firsts[0], tenant))
        .annotate(
            month=TruncMonth(
                "cancelled_at", output_field=DateField(), tzinfo=ZoneInfo(tenant.timezone)
            )
        )
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
        .order_by()
    )
    ended = dict(
        cancelled_subs.filter(
            # Its last day has passed (the daily job may not have marked it ended yet).
            status__in=[SubscriptionStatus.ENDED, SubscriptionStatus.SCHEDULED_END],
            ends_on__gte=firsts[0],
            ends_on__lt=today,
        )
        .annotate(month=TruncMonth("ends_on"))
        .values("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
        .order_by()
    )
    return [
        ChurnMonth(month=m, cancelled=cancelled.get(m, 0), ended=ended.get(m, 0)) for m in firsts
    ]


def churn_reasons(
    *, tenant: Tenant, currency: str, today: date, months: int = MONTHS_SHOWN
) -> list[ChurnReason]:
    """Why subscriptions were cancelled in the window, the most frequent first. The reason is
    free text: reasons written alike (letter case, spaces) count as one."""
    rows = (
        real_subscriptions(tenant, currency)
        .filter(cancelled_at__gte=_start_of(month_starts(today, months)[0], tenant))
        .values("cancellation_reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[str, int] = defaultdict(int)
    wording: dict[str, str] = {}
    for row in rows:
        text = " ".join(row["cancellation_reason"].split())
        key = text.casefold()
        counts[key] += row["n"]
        wording.setdefault(key, text)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [ChurnReason(reason=wording[key], count=n) for key, n in ranked]


# ---------------------------------------------------------------------------------------------
# Upcoming renewals


@dataclass(frozen=True)
class RenewalWeek:
    first_day: date
    last_day: date
    count: int
    amount: Decimal  # net, after the discount that still runs


def renewals_upcoming(
    *, tenant: Tenant, currency: str, today: date, days: int = RENEWAL_DAYS
) -> list[RenewalWeek]:
    """Subscriptions the billing run will invoice in the next `days` days (today included),
    week by week, with the net amount of the period it bills: on the tariff it will then have
    (a change scheduled by then), less a discount that still runs."""
    last = today + timedelta(days=days - 1)
    renewing = (
        real_subscriptions(tenant, currency)
        .filter(next_invoice_on__gte=today, next_invoice_on__lte=last)
        .filter(
            Q(status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.SCHEDULED_CHANGE])
            | Q(status=SubscriptionStatus.SCHEDULED_END, ends_on__gte=F("next_invoice_on"))
        )
        .exclude(remaining_cycles=0)
        .select_related("scheduled_tariff")
        .prefetch_related("options", "scheduled_tariff__prices", "scheduled_tariff__options")
        .order_by()
    )
    weeks = []
    day = today
    while day <= last:
        weeks.append([day, min(day + timedelta(days=6), last), 0, ZERO])
        day += timedelta(days=7)
    for subscription in renewing:
        changes = (
            subscription.scheduled_tariff is not None
            and subscription.change_on <= subscription.next_invoice_on
        )
        amount = (
            tariff_period_amount(subscription, subscription.scheduled_tariff)
            if changes
            else subscription_period_amount(subscription)
        )
        if discount_runs(subscription):
            amount -= discount_amount(
                subscription.discount_kind, subscription.discount_value, amount, currency
            )
        week = weeks[(subscription.next_invoice_on - today).days // 7]
        week[2] += 1
        week[3] += amount
    return [RenewalWeek(first, last_day, n, amount) for first, last_day, n, amount in weeks]


# ---------------------------------------------------------------------------------------------
# Dunning


@dataclass(frozen=True)
class DunningMonth:
    month: date
    recovered: int
    failed: int
    amount_recovered: Decimal


@dataclass(frozen=True)
class DunningOpen:
    count: int
    amount: Decimal  # still owed on the invoices being chased


def dunning_by_month(
    *, tenant: Tenant, currency: str, today: date, months: int = MONTHS_SHOWN
) -> list[DunningMonth]:
    """Dunning cases closed each month: recovered (the invoice was paid) or failed (retries ran
    out), with what the recovered invoices brought in."""
    firsts = month_starts(today, months)
    rows = (
        _cases(tenant, currency)
        .filter(closed_on__gte=firsts[0], closed_on__lte=today)
        .annotate(month=TruncMonth("closed_on"))
        .values("month")
        .annotate(
            recovered=Count("pk", filter=Q(outcome=DunningOutcome.RECOVERED)),
            failed=Count("pk", filter=Q(outcome=DunningOutcome.EXHAUSTED)),
            amount=Coalesce(
                Sum("invoice__amount_paid", filter=Q(outcome=DunningOutcome.RECOVERED)),
                Value(ZERO),
                output_field=MONEY,
            ),
        )
        .order_by()
    )
    by_month = {row["month"]: row for row in rows}
    empty = {"recovered": 0, "failed": 0, "amount": ZERO}
    return [
        DunningMonth(
            month=m,
            recovered=by_month.get(m, empty)["recovered"],
            failed=by_month.get(m, empty)["failed"],
            amount_recovered=by_month.get(m, empty)["amount"],
        )
        for m in firsts
    ]


def dunning_open(*, tenant: Tenant, currency: str) -> DunningOpen:
    totals = (
        _cases(tenant, currency)
        .filter(closed_on__isnull=True)
        .aggregate(
            n=Count("pk"),
            owed=Coalesce(
                Sum(
                    F("invoice__gross_amount")
                    - F("invoice__amount_paid")
                    - F("invoice__amount_credited")
                ),
                Value(ZERO),
                output_field=MONEY,
            ),
        )
    )
    return DunningOpen(count=totals["n"], amount=totals["owed"])


def _cases(tenant: Tenant, currency: str) -> QuerySet[DunningCase]:
    return DunningCase.objects.filter(
        tenant=tenant,
        invoice__currency=currency,
        invoice__is_test=False,
        invoice__customer__is_test_account=False,
    )
