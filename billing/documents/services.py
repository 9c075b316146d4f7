"""Writes on invoices: drafts, lines, finalization (numbering, snapshots, totals), payment and
voiding. One transaction each, under the invoice's row lock, with an event row and an audit
entry; a finalized invoice only ever changes status and payment progress."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.documents.calculations import line_amounts
from billing.documents.credit_notes import apply_customer_credit, credit_note_write
from billing.documents.finalization import (
    FROZEN_FIELDS,
    LineIn,
    buyer_snapshot,
    invoice_finalization,
    seller_snapshot,
    supply_period,
    tax_currency_needed,
)
from billing.documents.invoice_state import locked_invoice, move_invoice
from billing.documents.models import CreditNote, Invoice, InvoiceLine, InvoiceStatus, Settlement
from billing.documents.numbering import invoice_series, take_number
from billing.documents.selectors import default_tax_rate, exchange_rate_for
from billing.documents.tasks import send_invoice_emails, store_pdfs
from contracts.models import Customer
from core.audit import audit_record
from core.models import User
from core.roles import SYSTEM, SystemActor, require
from subscriptions.periods import local_today


def locked_draft(invoice: Invoice) -> Invoice:
    invoice = locked_invoice(invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(
            _("Only drafts can be edited; correct a finalized invoice with a credit note."),
            code="finalized",
        )
    return invoice


@transaction.atomic
def invoice_create_draft(
    *,
    customer: Customer,
    actor: User | SystemActor,
    currency: str | None = None,
    subscription=None,
    period_start: date | None = None,
) -> Invoice:
    require(actor, "invoices.manage", tenant=customer.tenant)
    invoice = Invoice.objects.create(
        tenant=customer.tenant,
        customer=customer,
        currency=currency or customer.tenant.default_currency,
        subscription=subscription,
        period_start=period_start,
    )
    audit_record(tenant=customer.tenant, actor=actor, action="invoice.draft", obj=invoice)
    return invoice


@transaction.atomic
def invoice_add_line(
    *,
    invoice: Invoice,
    description: str,
    unit_price: Decimal,
    actor: User | SystemActor,
    quantity: Decimal = Decimal(1),
    tax_rate: Decimal | None = None,
    service_start: date | None = None,
    service_end: date | None = None,
    subscription=None,
    order=None,
    option_id: int | None = None,
) -> InvoiceLine:
    require(actor, "invoices.manage", tenant=invoice.tenant)
    invoice = locked_draft(invoice)
    rate = default_tax_rate(invoice.tenant) if tax_rate is None else Decimal(tax_rate)
    amounts = line_amounts(
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        tax_rate=rate,
        currency=invoice.currency,
    )
    position = invoice.lines.count()
    line = InvoiceLine.objects.create(
        tenant=invoice.tenant,
        invoice=invoice,
        position=position,
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        tax_rate=rate,
        net_amount=amounts.net,
        tax_amount=amounts.tax,
        gross_amount=amounts.gross,
        service_start=service_start,
        service_end=service_end,
        subscription=subscription,
        order=order,
        option_id=option_id,
    )
    audit_record(
        tenant=invoice.tenant,
        actor=actor,
        action="invoice.line_add",
        obj=invoice,
        after={"description": description, "quantity": quantity, "unit_price": unit_price},
    )
    return line


@transaction.atomic
def invoice_lines_save(
    *,
    invoice: Invoice,
    lines: list[InvoiceLine],
    deleted: list[InvoiceLine],
    actor: User | SystemActor,
) -> None:
    """Staff's edits to a draft's lines (the back office's line table): priced like
    `invoice_add_line` — rounded per line, the default VAT rate where none is given."""
    require(actor, "invoices.manage", tenant=invoice.tenant)
    invoice = locked_draft(invoice)
    default_rate = default_tax_rate(invoice.tenant)
    for line in lines:
        rate = line.tax_rate if line.tax_rate is not None else default_rate
        amounts = line_amounts(
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=rate,
            currency=invoice.currency,
        )
        line.tenant, line.invoice, line.tax_rate = invoice.tenant, invoice, rate
        line.net_amount, line.tax_amount, line.gross_amount = (
            amounts.net,
            amounts.tax,
            amounts.gross,
        )
        line.save()
    for line in deleted:
        line.delete()


@transaction.atomic
def invoice_finalize(
    *,
    invoice: Invoice,
    actor: User | SystemActor,
    today: date,
    po_number: str | None = None,
    send: bool = True,
) -> Invoice:
    """Number it (gapless), date it, freeze seller and buyer, apply the VAT regime, cache the
    totals. From here on only credit notes correct it. `po_number` replaces the contract's
    (an approved quote's own PO number). `send=False` leaves the e-mail to the caller (a
    checkout's invoice goes out once its card payment went through)."""
    require(actor, "invoices.manage", tenant=invoice.tenant)
    invoice = locked_invoice(invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(_("This invoice is already finalized."), code="finalized")
    lines = list(invoice.lines.all())
    if not lines:
        raise ValidationError(_("An invoice needs at least one line."), code="empty")
    customer = invoice.customer
    tenant = invoice.tenant
    final = invoice_finalization(
        customer=customer,
        currency=invoice.currency,
        lines=[
            LineIn(
                line.quantity,
                line.unit_price,
                line.tax_rate,
                line.net_amount,
                line.tax_amount,
                line.gross_amount,
            )
            for line in lines
        ],
        today=today,
        seller=seller_snapshot(tenant),
        buyer=buyer_snapshot(customer)
        | ({"po_number": po_number} if po_number is not None else {}),
        exchange_rate=exchange_rate_for(tenant=tenant, currency=invoice.currency, day=today),
        # A person finalizing is told to enter the rate first; Kontor itself (a purchase, an
        # approved quote) does not turn a customer away for it, and records the gap below.
        without_rate=actor is SYSTEM,
    )
    amount_fields = ["tax_rate", "net_amount", "tax_amount", "gross_amount"]
    for line, amounts in zip(lines, final.lines, strict=True):
        changed = [f for f in amount_fields if getattr(line, f) != getattr(amounts, f)]
        if changed:  # zeroed by the VAT regime, or given its share of its rate's VAT
            for name in changed:
                setattr(line, name, getattr(amounts, name))
        # Every line states when it was supplied, one-off lines too (frozen with the invoice).
        period = supply_period(line.service_start, line.service_end, today)
        if period != (line.service_start, line.service_end):
            line.service_start, line.service_end = period
            changed += ["service_start", "service_end"]
        if changed:
            line.save(update_fields=changed)
    for name in FROZEN_FIELDS:
        setattr(invoice, name, getattr(final, name))
    series, pattern = invoice_series(invoice.tenant, is_test=invoice.is_test)
    invoice.number = take_number(
        tenant=invoice.tenant, series=series, pattern=pattern, issue_date=today
    )
    invoice.finalized_at = timezone.now()
    move_invoice(
        invoice,
        InvoiceStatus.OPEN,
        kind="finalized",
        actor=actor,
        data={"number": invoice.number, "gross": invoice.gross_amount},
    )
    apply_customer_credit(invoice, actor=actor)
    invoice.save()
    if "tax_currency" not in invoice.seller and tax_currency_needed(
        seller=invoice.seller,
        buyer=invoice.buyer,
        currency=invoice.currency,
        tax_amount=invoice.tax_amount,
    ):
        audit_record(
            tenant=tenant,
            actor=actor,
            actor_label="system: finalization" if actor is SYSTEM else None,
            action="invoice.exchange_rate_missing",
            obj=invoice,
            after={"currency": invoice.currency, "date": today.isoformat()},
        )
    pdfs_after_commit([invoice.pk])
    if send:
        email_after_commit([invoice.pk])
    return invoice


def pdfs_after_commit(invoice_ids: list[int]) -> None:
    """The issued invoices' PDFs, rendered and stored by a worker once they are committed
    (never inside the issuing transaction: a billing run keeps its speed)."""
    transaction.on_commit(lambda: store_pdfs.delay(invoice_ids=invoice_ids))


def email_after_commit(invoice_ids: list[int]) -> None:
    transaction.on_commit(lambda: send_invoice_emails.delay(invoice_ids))


@transaction.atomic
def invoice_mark_uncollectible(
    *, invoice: Invoice, actor: User | SystemActor, reason: str
) -> Invoice:
    """Written off: the customer is not expected to pay. A later payment still settles it."""
    require(actor, "invoices.void", tenant=invoice.tenant)
    invoice = locked_invoice(invoice)
    move_invoice(
        invoice,
        InvoiceStatus.UNCOLLECTIBLE,
        kind="marked_uncollectible",
        actor=actor,
        data={"reason": reason},
    )
    invoice.save(update_fields=["status"])
    return invoice


@transaction.atomic
def invoice_void(
    *, invoice: Invoice, actor: User | SystemActor, reason: str, today: date | None = None
) -> CreditNote:
    """Cancel an open invoice that nothing has settled yet: its number stays issued, and a
    credit note for the full amount says it is cancelled (statements list both numbers, and
    their sum is nil). Anything paid or credited on it already: refused — what is left is
    corrected with a credit note, and money received is refunded, which staff decide."""
    require(actor, "invoices.void", tenant=invoice.tenant)
    invoice = locked_invoice(invoice)
    if invoice.status != InvoiceStatus.OPEN:
        raise ValidationError(
            _("Only an open invoice can be voided; this one is %(status)s."),
            params={"status": invoice.get_status_display()},
            code="status",
        )
    if invoice.amount_paid or invoice.amount_credited:
        raise ValidationError(
            _(
                "Part of this invoice is already paid or credited, so it cannot be voided. "
                "Credit what is left with a credit note instead (and refund any payment)."
            ),
            code="paid",
        )
    # The note is the customer's document: its reason in their language; staff's own reason
    # (often for staff only: "checkout expired without payment") goes to the audit log.
    with translation.override(invoice.buyer.get("language") or invoice.tenant.locale):
        cancelled = gettext("Invoice %(number)s is cancelled.") % {"number": invoice.number}
    note, _rest = credit_note_write(
        invoice=invoice,
        actor=actor,
        today=today or local_today(timezone.now(), invoice.tenant.timezone),
        reason=cancelled,
        quantities=None,
        settlement=Settlement.CREDIT,
        void=True,
    )
    audit_record(
        tenant=invoice.tenant,
        actor=actor,
        action="invoice.void_reason",
        obj=invoice,
        after={"reason": reason, "credit_note": note.number},
    )
    return note


@transaction.atomic
def invoice_delete_draft(*, invoice: Invoice, actor: User) -> None:
    require(actor, "invoices.manage", tenant=invoice.tenant)
    invoice = locked_invoice(invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(_("Only drafts can be deleted."), code="finalized")
    audit_record(tenant=invoice.tenant, actor=actor, action="invoice.draft_delete", obj=invoice)
    invoice.delete()
