"""Reads on invoices, scoped by tenant and (in the portal) customer. Drafts never reach it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import models
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy

from billing.documents.calculations import line_amounts
from billing.documents.models import (
    CreditNote,
    CreditNoteLine,
    CustomerCreditEntry,
    ExchangeRate,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    TaxRate,
)
from contracts.models import Contact, Customer
from core.dates import format_document_date
from core.models import Tenant
from core.money import format_money, round_money
from core.paging import KeysetPage, keyset_page
from core.roles import ContactRole
from subscriptions.models import Order, Subscription

INVOICE_FILTERS = {
    "unpaid": [InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE],
    "paid": [InvoiceStatus.PAID],
    "all": None,
}


# The portal's order of invoices, paged by keyset (core.paging) on Invoice's
# invoice_customer_seek index.
INVOICE_ORDER = ("-issue_date", "-id")


def invoice_list(
    *, tenant: Tenant, customer: Customer, show: str = "all", with_lines: bool = False
) -> QuerySet[Invoice]:
    """Never drafts: an id outside it (a draft, another customer's or tenant's) is a 404."""
    invoices = Invoice.objects.filter(tenant=tenant, customer=customer).visible_to_customers()
    statuses = INVOICE_FILTERS.get(show)
    if statuses:
        invoices = invoices.filter(status__in=statuses)
    if with_lines:
        invoices = invoices.prefetch_related("lines")
    return invoices.order_by(*INVOICE_ORDER)


CREDIT_NOTE_ORDER = ("-issue_date", "-id")
# The portal's credit notes are a second list on the invoices and credits pages: their pages
# have cursors of their own, so paging one list keeps the other where it is.
CREDIT_NOTE_PARAMETERS = ("credit_after", "credit_before")


def credit_note_page(
    *, tenant: Tenant, customer: Customer, after: str | None, before: str | None
) -> KeysetPage[CreditNote]:
    """One page of the customer's credit notes, newest first (the cursors: core.paging)."""
    return keyset_page(
        credit_note_list(tenant=tenant, customer=customer),
        CREDIT_NOTE_ORDER,
        after=after,
        before=before,
        parameters=CREDIT_NOTE_PARAMETERS,
    )


def credit_note_list(*, tenant: Tenant, customer: Customer) -> QuerySet[CreditNote]:
    return with_money_outcome(
        CreditNote.objects.filter(tenant=tenant, customer=customer).select_related("invoice")
    )


def with_money_outcome(notes: QuerySet[CreditNote]) -> QuerySet[CreditNote]:
    """Each note with what became of its money, in one query: `credited_amount` (kept as the
    customer's credit) and `refunded_to_card` / `refunded_by_transfer`; the rest reduced the
    amount due on its invoice. Refunds belong to payments, above documents: read through the
    reverse relation billing.payments.Refund puts on CreditNote (`refunds`), never imported."""
    credited = (
        CustomerCreditEntry.objects.filter(credit_note=OuterRef("pk"))
        .order_by()
        .values("credit_note")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    zero = models.Value(
        Decimal(0), output_field=models.DecimalField(max_digits=19, decimal_places=2)
    )
    return notes.annotate(
        credited_amount=Coalesce(Subquery(credited), zero),
        refunded_to_card=Coalesce(
            Sum("refunds__amount", filter=Q(refunds__payment__isnull=False)), zero
        ),
        refunded_by_transfer=Coalesce(
            Sum("refunds__amount", filter=Q(refunds__payment__isnull=True)), zero
        ),
    )


@dataclass(frozen=True)
class MoneyOutcome:
    """What a credit note did with its money: it reduced what was due on the invoice, stayed
    with the business as the customer's credit, or went back (to the card, or by transfer)."""

    settled: Decimal
    credited: Decimal
    refunded_to_card: Decimal
    refunded_by_transfer: Decimal


def credit_note_outcome(note: CreditNote) -> MoneyOutcome:
    """From `with_money_outcome`'s figures when the note was read with them, else one query."""
    if not hasattr(note, "credited_amount"):
        note = with_money_outcome(CreditNote.objects.filter(pk=note.pk)).get()
    currency = note.currency
    # SQLite sums decimals in floating point: back to the currency's minor unit.
    credited, card, transfer = (
        round_money(Decimal(value), currency)
        for value in (note.credited_amount, note.refunded_to_card, note.refunded_by_transfer)
    )
    return MoneyOutcome(
        settled=note.gross_amount - credited - card - transfer,
        credited=credited,
        refunded_to_card=card,
        refunded_by_transfer=transfer,
    )


def credit_note_outcome_sentences(note: CreditNote) -> list[str]:
    """What happened to the money, in words of the active language (the document's), for the
    note's PDF, its e-mail and the portal."""
    outcome = credit_note_outcome(note)
    language = (translation.get_language() or "en").split("-")[0]

    def amount(value: Decimal) -> str:
        return format_money(value, note.currency, language)

    day = format_document_date(note.issue_date, language)
    sentences = []
    if outcome.settled:
        sentences.append(
            gettext("This credit note reduced the amount due on invoice %(number)s by %(amount)s.")
            % {"number": note.invoice.number, "amount": amount(outcome.settled)}
        )
    if outcome.credited:
        sentences.append(
            gettext("%(amount)s was credited to your account for future invoices.")
            % {"amount": amount(outcome.credited)}
        )
    if outcome.refunded_to_card:
        sentences.append(
            # Issued with the note, paid back by the gateway after it: never "was" refunded.
            gettext("%(amount)s is refunded to your card, as of %(date)s.")
            % {"amount": amount(outcome.refunded_to_card), "date": day}
        )
    if outcome.refunded_by_transfer:
        sentences.append(
            gettext("%(amount)s is refunded to your bank account by transfer, as of %(date)s.")
            % {"amount": amount(outcome.refunded_by_transfer), "date": day}
        )
    return sentences


@dataclass(frozen=True)
class CreditMovement:
    """One move of the customer's money credit, with the balance after it."""

    entry: CustomerCreditEntry
    balance_after: Decimal


def credit_movements(*, tenant: Tenant, customer: Customer) -> list[CreditMovement]:
    """Newest first: what added to the customer's credit (credit notes) and what used it
    (invoices), each with the running balance in its currency."""
    entries = (
        CustomerCreditEntry.objects.filter(tenant=tenant, customer=customer)
        .select_related("credit_note", "invoice")
        .order_by("created_at", "id")
    )
    running: dict[str, Decimal] = {}
    movements = []
    for entry in entries:
        running[entry.currency] = running.get(entry.currency, Decimal(0)) + entry.amount
        movements.append(CreditMovement(entry, running[entry.currency]))
    movements.reverse()
    return movements


def recurring_list(*, tenant: Tenant, customer: Customer):
    """Every subscription with the invoices it produced (newest first): the "recurring
    invoices" view of what the customer pays regularly."""

    return (
        Subscription.objects.filter(tenant=tenant, customer=customer)
        .select_related("tariff__module")
        .prefetch_related(
            "options",
            Prefetch(
                "invoices",
                queryset=Invoice.objects.visible_to_customers().order_by("-issue_date", "-id"),
                to_attr="issued",
            ),
        )
        .order_by("-started_on", "-id")
    )


class OrderPaymentState(models.TextChoices):
    """How far an order is paid, read from the invoices that carry its lines."""

    NO_CHARGE = "no_charge", pgettext_lazy("order", "No charge")
    NOT_INVOICED = "not_invoiced", pgettext_lazy("order", "Not invoiced yet")
    UNPAID = "unpaid", pgettext_lazy("order", "Unpaid")
    PARTLY_PAID = "partly_paid", pgettext_lazy("order", "Partly paid")
    PAID = "paid", pgettext_lazy("order", "Paid")
    CREDITED = "credited", pgettext_lazy("order", "Credited")
    VOID = "void", pgettext_lazy("order", "Void")


@dataclass
class OrderPayment:
    """An order's payment state and the invoices it follows (newest first). `state` is None for
    an order of a subscription that no invoice line names: it is billed with its subscription."""

    state: str | None
    invoices: list[Invoice]

    @property
    def label(self) -> str:
        return OrderPaymentState(self.state).label if self.state else ""


def _payment_state(order: Order, lines: list[InvoiceLine]) -> str | None:
    if not lines:
        if order.subscription_id is not None:
            return None
        return OrderPaymentState.NOT_INVOICED if order.is_priced else OrderPaymentState.NO_CHARGE
    invoices = {line.invoice_id: line.invoice for line in lines}.values()
    live = [i for i in invoices if i.status != InvoiceStatus.VOID]
    if not live:
        return OrderPaymentState.VOID
    live_lines = [line for line in lines if line.invoice.status != InvoiceStatus.VOID]
    # Credited: credit notes took back every one of the order's lines (whatever was paid
    # before goes to the customer's credit or back as a refund).
    if all(line.credited >= line.net_amount for line in live_lines):
        return OrderPaymentState.CREDITED
    if all(i.status == InvoiceStatus.PAID or i.amount_due <= 0 for i in live):
        return OrderPaymentState.PAID
    if any(i.amount_paid + i.amount_credited > 0 or i.status == InvoiceStatus.PAID for i in live):
        return OrderPaymentState.PARTLY_PAID
    return OrderPaymentState.UNPAID


def order_payments(orders) -> dict[int, OrderPayment]:
    """Each order's payment state, read from its invoices' lines (drafts are not invoices yet):
    one query for any number of orders, so list pages stay flat. Derived, never stored, so it
    follows every payment, credit note and write-off without a copy to keep in step."""
    orders = list(orders)
    credited = (
        CreditNoteLine.objects.filter(invoice_line=OuterRef("pk"))
        .order_by()
        .values("invoice_line")
        # Nets: a credit takes exactly what is left of a line's net, while its share of the
        # rate's VAT may differ from the line's by a cent (VAT is rounded per rate).
        .annotate(total=Sum("net_amount"))
        .values("total")
    )
    lines = (
        InvoiceLine.objects.filter(order_id__in=[o.pk for o in orders])
        .exclude(invoice__status=InvoiceStatus.DRAFT)
        .select_related("invoice")
        .annotate(credited=Coalesce(Subquery(credited), Decimal(0)))
        .order_by("-invoice__issue_date", "-invoice_id", "position", "id")
    )
    by_order: dict[int, list[InvoiceLine]] = {o.pk: [] for o in orders}
    for line in lines:
        by_order[line.order_id].append(line)
    result = {}
    for order in orders:
        found = by_order[order.pk]
        invoices = list({line.invoice_id: line.invoice for line in found}.values())
        result[order.pk] = OrderPayment(_payment_state(order, found), invoices)
    return result


def invoice_orders(*, invoice: Invoice) -> QuerySet[Order]:
    """The orders an invoice's lines bill (its customer's, of its business)."""
    return Order.objects.filter(
        tenant_id=invoice.tenant_id,
        customer_id=invoice.customer_id,
        pk__in=InvoiceLine.objects.filter(invoice=invoice, order__isnull=False).values("order_id"),
    ).order_by("-ordered_at", "-id")


def subscription_invoices(
    *, subscription: Subscription, customers_only: bool = True
) -> QuerySet[Invoice]:
    """The invoices a subscription produced, newest first: its run invoices (Invoice.subscription)
    and any other invoice with a line of it (a first invoice, a quote's, a charge)."""
    invoices = Invoice.objects.filter(
        Q(subscription=subscription)
        | Q(pk__in=InvoiceLine.objects.filter(subscription=subscription).values("invoice_id")),
        tenant_id=subscription.tenant_id,
        customer_id=subscription.customer_id,
    )
    if customers_only:
        invoices = invoices.visible_to_customers()
    return invoices.order_by("-issue_date", "-id")


def default_tax_rate(tenant: Tenant) -> Decimal:
    rate = (
        TaxRate.objects.filter(tenant=tenant, is_default=True)
        .values_list("rate", flat=True)
        .first()
    )
    return rate if rate is not None else Decimal(0)


@dataclass(frozen=True)
class Price:
    """A price as a customer is shown it: net, and gross with their VAT regime applied (under
    any regime but standard, or from a small business, no VAT is charged: gross is net)."""

    net: Decimal
    gross: Decimal
    currency: str
    vat_charged: bool


def customer_price(*, customer: Customer, net: Decimal, currency: str, rate: Decimal) -> Price:
    """`rate`: default_tax_rate(tenant), read once per page. Rounded as an invoice line is."""
    charged = customer.charges_vat and rate > 0
    amounts = line_amounts(
        quantity=Decimal(1),
        unit_price=net,
        tax_rate=rate if charged else Decimal(0),
        currency=currency,
    )
    return Price(amounts.net, amounts.gross, currency, charged)


def customer_invoice_recipients(customer: Customer) -> list[str]:
    """Where the customer receives invoices: its invoice recipients, else its account owners."""
    return list(customer.invoice_recipients) or list(
        Contact.objects.filter(
            customer=customer, role=ContactRole.OWNER, is_active=True
        ).values_list("user__email", flat=True)
    )


def exchange_rate_for(*, tenant: Tenant, currency: str, day: date) -> ExchangeRate | None:
    """The rate a document in `currency` issued on `day` states its VAT at in the business's
    currency (art. 230); None for documents in the business's own currency."""
    if currency == tenant.default_currency:
        return None
    return exchange_rate_on(tenant=tenant, currency=currency, day=day)


def exchange_rate_on(*, tenant: Tenant, currency: str, day: date) -> ExchangeRate | None:
    """The latest rate of `currency` on or before `day` (VAT Directive art. 91(2): the rate
    of the chargeable event's day, or the last one published before it)."""
    return (
        ExchangeRate.objects.filter(tenant=tenant, currency=currency, day__lte=day)
        .order_by("-day")
        .first()
    )
