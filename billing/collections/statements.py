"""Statements of account: what was invoiced, credited and paid in a period, between an opening
and a closing balance (positive: the customer owes; negative: the customer is in credit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from billing.documents.models import CreditNote, Invoice, InvoiceStatus
from billing.payments.models import Payment
from contracts.models import Customer


@dataclass(frozen=True)
class StatementEntry:
    day: date
    kind: str  # invoice / credit_note / payment
    label: str
    amount: Decimal  # + owed, − settled
    balance: Decimal


@dataclass(frozen=True)
class Statement:
    customer: Customer
    currency: str
    start: date
    end: date
    opening: Decimal
    entries: list[StatementEntry]
    closing: Decimal


def _invoice_row(invoice: Invoice) -> tuple:
    if invoice.status == InvoiceStatus.VOID and not invoice.cancelled_by_note:
        label = _("Invoice %(number)s (void)") % {"number": invoice.number}
        return (invoice.issue_date, 0, "invoice", label, Decimal(0))
    label = _("Invoice %(number)s") % {"number": invoice.number}
    return (invoice.issue_date, 0, "invoice", label, invoice.gross_amount)


def _movements(customer: Customer, currency: str, start: date | None, end: date):
    # Every issued number, voided ones too: a voided invoice is cancelled by its credit note
    # (both listed, their sum nil). One voided before voiding issued credit notes has none:
    # listed at nil, so the balance stays right.
    invoices = (
        Invoice.objects.filter(customer=customer, currency=currency, issue_date__lte=end)
        .exclude(status=InvoiceStatus.DRAFT)
        .annotate(cancelled_by_note=Exists(CreditNote.objects.filter(invoice=OuterRef("pk"))))
    )
    notes = CreditNote.objects.filter(customer=customer, currency=currency, issue_date__lte=end)
    payments = Payment.objects.filter(customer=customer, currency=currency, received_on__lte=end)
    if start is not None:
        invoices = invoices.filter(issue_date__gte=start)
        notes = notes.filter(issue_date__gte=start)
        payments = payments.filter(received_on__gte=start)
    rows = [_invoice_row(i) for i in invoices]
    rows += [
        (
            n.issue_date,
            1,
            "credit_note",
            _("Credit note %(number)s") % {"number": n.number},
            -n.gross_amount,
        )
        for n in notes
    ]
    rows += [
        (
            p.received_on,
            2,
            "payment",
            _("Payment %(reference)s") % {"reference": p.reference},
            -p.amount,
        )
        for p in payments
    ]
    return sorted(rows, key=lambda r: (r[0], r[1]))


def statement(
    *, customer: Customer, start: date, end: date, currency: str | None = None
) -> Statement:
    if start > end:
        raise ValueError("the statement must start before it ends")
    currency = currency or customer.tenant.default_currency
    opening = sum(
        (r[4] for r in _movements(customer, currency, None, start - timedelta(days=1))), Decimal(0)
    )
    balance, entries = opening, []
    for day, _order, kind, label, amount in _movements(customer, currency, start, end):
        balance += amount
        entries.append(StatementEntry(day, kind, label, amount, balance))
    return Statement(customer, currency, start, end, opening, entries, balance)
