"""Payment reminders: each open invoice gets the business's reminder steps (days from the due
date, negative before it) once each, unless the customer's credit covers what is due.

The latest step that is due goes out on the first run on or after its day; earlier steps not
sent by then are recorded as passed over (the customer gets one reminder, not a burst), as is
a step whose day fell before the invoice was issued. A reminder is recorded as queued under the
invoice's row lock and its e-mail sent by a task after commit, like every e-mail: the mail server
is never waited on while the invoice is locked. A failed send stays queued and is sent by the
next run; a worker killed between sending and committing may send that one reminder twice — we
prefer that to losing it. One queued when the invoice has since been paid is not sent."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Max

from billing.collections.models import InvoiceReminder, ReminderOutcome
from billing.collections.tasks import send_payment_reminder
from billing.documents.credit_notes import customer_credit_balances
from billing.documents.emails import invoice_message, invoice_recipients
from billing.documents.models import Invoice, InvoiceStatus
from core.audit import audit_record
from core.models import Tenant
from core.roles import SYSTEM

logger = logging.getLogger(__name__)


def reminder_step(*, due_date: date, steps: list[int], today: date) -> int | None:
    """The latest of the sorted steps that is due today, or None."""
    days = (today - due_date).days
    due = [step for step in steps if step <= days]
    return due[-1] if due else None


def invoice_reminders_send(*, tenant: Tenant, today: date) -> int:
    """Send the due reminder of every open invoice of the business; returns how many went out.
    Safe to run again the same day, or twice at once: a step is recorded once."""
    _requeue(tenant)  # also when the business has since turned reminders off
    steps = sorted(set(tenant.reminder_days or []))
    if not steps:
        return 0
    candidates = (
        Invoice.objects.filter(
            tenant=tenant,
            status=InvoiceStatus.OPEN,
            due_date__lte=today - timedelta(days=steps[0]),
            gross_amount__gt=F("amount_paid") + F("amount_credited"),
        )
        .annotate(last_step=Max("reminders__offset_days"))
        .order_by("due_date", "pk")  # credit covers the oldest invoices first
    )
    credit = customer_credit_balances(tenant)
    sent = 0
    for invoice in candidates:
        key = (invoice.customer_id, invoice.currency)
        if credit.get(key, Decimal(0)) >= invoice.amount_due:
            credit[key] -= invoice.amount_due  # covered: nobody is chased for it
            continue
        step = reminder_step(due_date=invoice.due_date, steps=steps, today=today)
        if step is None or (invoice.last_step is not None and invoice.last_step >= step):
            continue
        try:
            sent += _remind(invoice.pk, step=step, steps=steps, today=today)
        except Exception:
            logger.exception("Payment reminder for invoice %s failed; tried next run", invoice.pk)
    return sent


def _requeue(tenant: Tenant) -> None:
    """Reminders whose e-mail could not be sent (the mail server refused, a worker died) are
    queued again on the next run; delivering one twice at once sends it once (row lock). A
    broker that cannot take them now never stops the run: they are tried again next hour."""
    try:
        for pk in InvoiceReminder.objects.filter(
            tenant=tenant, outcome=ReminderOutcome.QUEUED
        ).values_list("pk", flat=True):
            transaction.on_commit(lambda pk=pk: send_payment_reminder.delay(pk))
    except Exception:
        logger.exception("Queued payment reminders of %s not requeued; next run", tenant.slug)


@transaction.atomic
def _remind(invoice_id: int, *, step: int, steps: list[int], today: date) -> int:
    # Locked and read again: a payment recorded since the list was read wins.
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("tenant", "customer")
        .filter(pk=invoice_id, status=InvoiceStatus.OPEN)
        .first()
    )
    if invoice is None or invoice.amount_due <= 0:
        return 0
    tenant = invoice.tenant
    InvoiceReminder.objects.bulk_create(
        [
            InvoiceReminder(
                tenant=tenant, invoice=invoice, offset_days=s, outcome=ReminderOutcome.PASSED_OVER
            )
            for s in steps
            if s < step
        ],
        ignore_conflicts=True,
    )
    recipients = invoice_recipients(invoice)
    if invoice.issue_date >= invoice.due_date + timedelta(days=step):
        outcome = ReminderOutcome.PASSED_OVER
    elif not recipients:
        outcome = ReminderOutcome.NO_RECIPIENT
    else:
        outcome = ReminderOutcome.QUEUED
    reminder, created = InvoiceReminder.objects.get_or_create(
        invoice=invoice, offset_days=step, defaults={"tenant": tenant, "outcome": outcome}
    )
    if not created or outcome != ReminderOutcome.QUEUED:
        return 0
    transaction.on_commit(lambda: send_payment_reminder.delay(reminder.pk))
    return 1


def invoice_reminder_deliver(reminder_id: int) -> bool:
    """Send a queued reminder (in a worker, after the run committed). Safe to run twice: the
    row lock and its outcome let one delivery through. A failing send leaves it queued for the
    next run and never holds up the others."""
    try:
        return _deliver(reminder_id)
    except Exception:
        logger.exception("Payment reminder %s not sent; queued again next run", reminder_id)
        return False


@transaction.atomic
def _deliver(reminder_id: int) -> bool:
    # Only the reminder row is locked, not the invoice: the mail server is never waited on while
    # payments wait for the invoice. A payment committed in the instant between the check below
    # and the send may still meet a reminder; the customer then has one e-mail too many.
    reminder = (
        InvoiceReminder.objects.select_for_update(of=("self",))
        .select_related("invoice__tenant", "invoice__customer")
        .filter(pk=reminder_id, outcome=ReminderOutcome.QUEUED)
        .first()
    )
    if reminder is None:
        return False
    invoice = reminder.invoice
    recipients = invoice_recipients(invoice)
    if invoice.status != InvoiceStatus.OPEN or invoice.amount_due <= 0 or not recipients:
        # Paid, credited or voided since it was queued (or nobody left to tell): not chased.
        reminder.outcome = (
            ReminderOutcome.PASSED_OVER if recipients else ReminderOutcome.NO_RECIPIENT
        )
        reminder.save(update_fields=["outcome"])
        return False
    invoice_message(
        invoice=invoice,
        template="payment_reminder",
        recipients=recipients,
        extra={"overdue_days": max(reminder.offset_days, 0)},
    ).send()
    reminder.outcome = ReminderOutcome.SENT
    reminder.save(update_fields=["outcome"])
    audit_record(
        tenant=invoice.tenant,
        actor=SYSTEM,
        action="invoice.reminder_sent",
        obj=invoice,
        after={"days_from_due_date": reminder.offset_days, "recipients": recipients},
    )
    return True
