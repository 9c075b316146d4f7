"""Reads for the portal's dashboard: "where do I stand?" in one screen.

Each block reads through the owning app's selectors where one exists, in a fixed number of
queries whatever the number of invoices, subscriptions, quotes or orders (tests/portal/
test_dashboard.py counts them). Who may act on what (roles) is the view's business; these only
say what there is and what the business's terms offer."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, Sum

from billing.documents import selectors as document_selectors
from billing.documents.models import PAYABLE, CustomerCreditEntry, Invoice, InvoiceStatus
from billing.documents.selectors import Price
from billing.payments import selectors as payment_selectors
from billing.payments.gateways import gateway_for
from billing.payments.models import PaymentMethod
from contracts.models import Customer
from core.licence import LicenceModule, licence_enabled
from core.models import Tenant
from core.money import round_money
from quotes import selectors as quote_selectors
from quotes.models import Quote, QuoteStatus
from subscriptions import selectors as subscription_selectors
from subscriptions.discounts import discount_amount, discount_runs
from subscriptions.models import (
    CancellationRequest,
    CancellationRequestStatus,
    CreditAccount,
    DeliveryStage,
    Order,
    Subscription,
    SubscriptionStatus,
    Tariff,
)
from subscriptions.services import subscription_period_amount, tariff_period_amount

RECENT_INVOICES = 5
PENDING_QUOTES = 3
ORDERS_IN_PROGRESS = 3

# What the billing run renews (billing.run.services.due_subscriptions): the others are waiting
# for a first payment, suspended or over.
RENEWING = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.SCHEDULED_CHANGE,
    SubscriptionStatus.SCHEDULED_END,
)


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str


@dataclass
class AmountDue:
    """What the customer owes now: open invoices' amounts due, per currency."""

    totals: list[Amount]
    invoices: int
    oldest: Invoice | None  # the one to pay first: the earliest due
    overdue: int


@dataclass
class SubscriptionRow:
    subscription: Subscription
    price: Price
    interval: str
    renews_on: date | None
    # What the plan offers in the portal (the role is checked by the view): the same rules as
    # the subscription's own page (subscriptions.views.common.contact_rights and its template).
    offers_change: bool
    offers_cancel: bool
    cancellation_requested: bool


@dataclass
class NextCharge:
    """The next renewal the billing run will invoice: its day and what it comes to with VAT
    (per currency), before any credit balance is taken off."""

    on: date
    amounts: list[Amount]
    subscriptions: list[Subscription]
    tariff_changes: bool  # a scheduled tariff change takes effect by then: priced at the new one


@dataclass
class OrderRow:
    order: Order
    current: DeliveryStage | None
    stages: int
    reached: int


@dataclass
class Dashboard:
    amount_due: AmountDue
    subscriptions: list[SubscriptionRow]
    next_charge: NextCharge | None
    takes_cards: bool
    pays_at_bank: bool
    default_method: PaymentMethod | None
    recent_invoices: list[Invoice]
    has_invoices: bool
    pending_quotes: list[Quote] = field(default_factory=list)
    pending_quote_count: int = 0
    money_credit: list[Amount] = field(default_factory=list)
    credit_account: CreditAccount | None = None
    orders_in_progress: list[OrderRow] = field(default_factory=list)
    orders_in_progress_count: int = 0


def dashboard_for(*, tenant: Tenant, customer: Customer, today: date) -> Dashboard:
    gateway = gateway_for(tenant)
    rate = document_selectors.default_tax_rate(tenant)  # read once for every price on the page
    rows = _subscription_rows(tenant=tenant, customer=customer, rate=rate)
    recent = list(
        document_selectors.invoice_list(tenant=tenant, customer=customer).select_related(
            "subscription__tariff__module"
        )[:RECENT_INVOICES]
    )
    board = Dashboard(
        amount_due=_amount_due(tenant=tenant, customer=customer, today=today),
        subscriptions=rows,
        next_charge=_next_charge(rows, customer=customer, rate=rate),
        takes_cards=gateway.takes_cards,
        pays_at_bank=getattr(gateway, "pays_at_bank", False),
        default_method=(
            payment_selectors.payment_method_list(tenant=tenant, customer=customer)
            .filter(is_default=True)
            .first()
            if gateway.takes_cards
            else None
        ),
        recent_invoices=recent,
        has_invoices=bool(recent),
        money_credit=_money_credit(tenant=tenant, customer=customer),
    )
    if licence_enabled(tenant, LicenceModule.QUOTES):
        waiting = quote_selectors.quote_list(tenant=tenant, customer=customer).filter(
            status=QuoteStatus.SENT
        )
        quotes = [q for q in waiting if not q.is_past_validity(today)]
        board.pending_quotes = quotes[:PENDING_QUOTES]
        board.pending_quote_count = len(quotes)
    if licence_enabled(tenant, LicenceModule.VIP_SUPPORT):
        account = CreditAccount.objects.select_related("package").filter(customer=customer).first()
        board.credit_account = account if account is not None and account.kind else None
    orders = _orders_in_progress(tenant=tenant, customer=customer)
    board.orders_in_progress = orders[:ORDERS_IN_PROGRESS]
    board.orders_in_progress_count = len(orders)
    return board


def _amount_due(*, tenant: Tenant, customer: Customer, today: date) -> AmountDue:
    """Two queries, whatever the number of open invoices: the sums per currency in the
    database, and the one to pay first (a long-unpaid account may have hundreds)."""
    owed = (
        document_selectors.invoice_list(tenant=tenant, customer=customer)
        .filter(status__in=PAYABLE)
        .annotate(due=F("gross_amount") - F("amount_paid") - F("amount_credited"))
        .filter(due__gt=0)
    )
    per_currency = (
        owed.order_by()
        .values("currency")
        .annotate(
            total=Sum("due"),
            count=Count("id"),
            overdue=Count("id", filter=Q(status=InvoiceStatus.OPEN, due_date__lt=today)),
        )
        .order_by("currency")
    )
    totals = list(per_currency)
    oldest = (
        owed.only(
            "pk",
            "number",
            "status",
            "currency",
            "issue_date",
            "due_date",
            "gross_amount",
            "amount_paid",
            "amount_credited",
        )
        .order_by("due_date", "issue_date", "id")
        .first()
        if totals
        else None
    )
    return AmountDue(
        totals=[Amount(row["total"], row["currency"]) for row in totals],
        invoices=sum(row["count"] for row in totals),
        oldest=oldest,
        overdue=sum(row["overdue"] for row in totals),
    )


def _subscription_rows(
    *, tenant: Tenant, customer: Customer, rate: Decimal
) -> list[SubscriptionRow]:
    subscriptions = (
        subscription_selectors.subscription_list(tenant=tenant, customer=customer)
        .running()
        .prefetch_related(
            Prefetch(
                "tariff__allowed_changes",
                queryset=Tariff.objects.filter(is_active=True, tenant=tenant),
                to_attr="targets",
            ),
            Prefetch(
                "cancellation_requests",
                queryset=CancellationRequest.objects.filter(
                    status=CancellationRequestStatus.PENDING
                ),
                to_attr="pending_requests",
            ),
            "scheduled_tariff__prices",
            "scheduled_tariff__options",
        )
    )
    rows = []
    for subscription in subscriptions:
        tariff = subscription.tariff
        changeable = subscription.is_changeable
        rows.append(
            SubscriptionRow(
                subscription=subscription,
                price=document_selectors.customer_price(
                    customer=customer,
                    net=subscription_period_amount(subscription),
                    currency=subscription.currency,
                    rate=rate,
                ),
                interval=subscription_selectors.interval_label(subscription.interval_months),
                renews_on=subscription.next_invoice_on if subscription.status in RENEWING else None,
                offers_change=changeable
                and tariff.portal_may_change
                and any(t.currency == subscription.currency for t in tariff.targets),
                offers_cancel=changeable and tariff.portal_may_cancel,
                cancellation_requested=bool(subscription.pending_requests),
            )
        )
    return rows


def _renews(subscription: Subscription) -> bool:
    """Whether the billing run will invoice it again (billing.run.services.due_subscriptions)."""
    day = subscription.next_invoice_on
    return (
        subscription.status in RENEWING
        and day is not None
        and (subscription.remaining_cycles is None or subscription.remaining_cycles > 0)
        and (subscription.ends_on is None or day <= subscription.ends_on)
    )


def _next_charge(
    rows: list[SubscriptionRow], *, customer: Customer, rate: Decimal
) -> NextCharge | None:
    """The earliest renewal: every subscription invoiced that day, each priced at the tariff it
    will then be on, less its running discount, with VAT as its invoice will charge it."""
    renewing = [row for row in rows if _renews(row.subscription)]
    if not renewing:
        return None
    day = min(row.subscription.next_invoice_on for row in renewing)
    due = [row for row in renewing if row.subscription.next_invoice_on == day]
    totals: dict[str, Decimal] = defaultdict(Decimal)
    changes = False
    for row in due:
        subscription = row.subscription
        net = row.price.net
        if subscription.scheduled_tariff_id and subscription.change_on <= day:
            net = tariff_period_amount(subscription, subscription.scheduled_tariff)
            changes = True
        if discount_runs(subscription):
            net -= discount_amount(
                subscription.discount_kind, subscription.discount_value, net, subscription.currency
            )
        price = document_selectors.customer_price(
            customer=customer, net=net, currency=subscription.currency, rate=rate
        )
        totals[subscription.currency] += price.gross
    return NextCharge(
        on=day,
        amounts=[Amount(value, currency) for currency, value in sorted(totals.items())],
        subscriptions=[row.subscription for row in due],
        tariff_changes=changes,
    )


def _money_credit(*, tenant: Tenant, customer: Customer) -> list[Amount]:
    """The credit from credit notes, per currency, where there is any."""
    rows = (
        CustomerCreditEntry.objects.filter(tenant=tenant, customer=customer)
        .values_list("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    # SQLite sums decimals in floating point: back to the currency's minor unit.
    amounts = [
        Amount(round_money(Decimal(total or 0), currency), currency) for currency, total in rows
    ]
    return [amount for amount in amounts if amount.value > 0]


def _orders_in_progress(*, tenant: Tenant, customer: Customer) -> list[OrderRow]:
    """Orders with a delivery stage still to reach, newest first."""
    orders = (
        subscription_selectors.order_list(tenant=tenant, customer=customer)
        .filter(stages__reached_at__isnull=True)
        .distinct()
        .order_by("-ordered_at", "-id")
    )
    rows = []
    for order in orders:
        stages = list(order.stages.all())
        reached = [s for s in stages if s.reached_at]
        rows.append(OrderRow(order, reached[-1] if reached else None, len(stages), len(reached)))
    return rows
