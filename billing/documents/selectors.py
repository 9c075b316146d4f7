"""Reads on invoices, scoped by tenant and (in the portal) customer. Drafts never reach it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from billing.documents.models import CreditNote, CustomerCreditEntry, Invoice, InvoiceStatus
from contracts.models import Customer
from core.models import Tenant
from subscriptions.models import Subscription

INVOICE_FILTERS = {
    "unpaid": [InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE],
    "paid": [InvoiceStatus.PAID],
    "all": None,
}


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
    return invoices.order_by("-issue_date", "-id")


def credit_note_list(*, tenant: Tenant, customer: Customer) -> QuerySet[CreditNote]:
    return CreditNote.objects.filter(tenant=tenant, customer=customer).select_related("invoice")


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
