"""Statements of account: what was invoiced, credited and paid in a period, between an opening
and a closing balance (positive: the customer owes; negative: the customer is in credit).

A statement is a document of the customer's: it names the buyer with its billing address and is
worded in the customer's document language, whoever reads it in whatever browser language.
It keeps every issued number: a void invoice is listed, at the amount its credit notes took
back (so it and they net to nothing; voided without a credit note, at zero).
Test documents stay apart from real ones: a customer's statement lists only documents issued
while the account was what it is now (a real account's statement never shows the invoices of
its test days; a test account sees its test statement, marked as such)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import translation
from django.utils.translation import gettext as _

from billing.documents.finalization import buyer_snapshot
from billing.documents.models import CreditNote, Invoice, InvoiceStatus
from billing.payments.models import Payment
from contracts.models import Customer
from core.money import round_money


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
    buyer: dict  # the buyer as documents name it (billing address lines), as of today
    language: str  # the customer's document language, which the statement is worded in
    is_test: bool  # a test account's statement, marked as one


def document_language(customer: Customer) -> str:
    return customer.language or customer.tenant.locale


def _movements(customer: Customer, currency: str, start: date | None, end: date):
    test = customer.is_test_account
    invoices = (
        Invoice.objects.filter(
            customer=customer, currency=currency, issue_date__lte=end, is_test=test
        )
        .exclude(status=InvoiceStatus.DRAFT)
        .annotate(taken_back=Sum("credit_notes__gross_amount"))
    )
    notes = CreditNote.objects.filter(
        customer=customer, currency=currency, issue_date__lte=end, invoice__is_test=test
    )
    # A payment belongs to the statement its invoices are on (one kept whole as credit: both).
    payments = Payment.objects.filter(
        customer=customer, currency=currency, received_on__lte=end
    ).exclude(Q(allocations__invoice__is_test=not test))
    if start is not None:
        invoices = invoices.filter(issue_date__gte=start)
        notes = notes.filter(issue_date__gte=start)
        payments = payments.filter(received_on__gte=start)
    rows = []
    for i in invoices:
        if i.status == InvoiceStatus.VOID:
            label = _("Invoice %(number)s (void)") % {"number": i.number}
            # SQLite sums decimals in floating point: round back to the currency.
            amount = min(i.gross_amount, round_money(Decimal(i.taken_back or 0), i.currency))
        else:
            label = _("Invoice %(number)s") % {"number": i.number}
            amount = i.gross_amount
        rows.append((i.issue_date, 0, "invoice", label, amount))
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
    language = document_language(customer)
    with translation.override(language):  # its labels are the customer's, not the viewer's
        opening = sum(
            (r[4] for r in _movements(customer, currency, None, start - timedelta(days=1))),
            Decimal(0),
        )
        balance, entries = opening, []
        for day, _order, kind, label, amount in _movements(customer, currency, start, end):
            balance += amount
            entries.append(StatementEntry(day, kind, label, amount, balance))
        buyer = buyer_snapshot(customer)
    return Statement(
        customer,
        currency,
        start,
        end,
        opening,
        entries,
        balance,
        buyer=buyer,
        language=language,
        is_test=customer.is_test_account,
    )
