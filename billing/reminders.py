"""Payment reminders: each open invoice gets the business's reminder steps (days from the due
date, negative before it) once each, unless the customer's credit covers what is due. A step
whose day passed while a later one is due, or that fell before the invoice was issued, is
recorded as passed over rather than sent late."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import F, Max

from billing.credit_notes import customer_credit_balance
from billing.models import Invoice, InvoiceReminder, InvoiceStatus
from core.models import Tenant


def reminder_step(*, invoice: Invoice, steps: list[int], today: date) -> int | None:
    """The latest step due today, or None."""
    days = (today - invoice.due_date).days
    due = [step for step in steps if step <= days]
    return due[-1] if due else None


def send_payment_reminders(*, tenant: Tenant, today: date) -> int:
    """Send the due reminder of every open invoice of the business; returns how many went out.
    Safe to run again the same day (a step is recorded once)."""
    from billing.emails import invoice_message, invoice_recipients

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
        .select_related("tenant", "customer")
        .order_by("due_date", "pk")
    )
    sent = 0
    for invoice in candidates:
        step = reminder_step(invoice=invoice, steps=steps, today=today)
        if step is None or (invoice.last_step is not None and invoice.last_step >= step):
            continue
        if customer_credit_balance(invoice.customer, invoice.currency) >= invoice.amount_due:
            continue  # the customer's credit covers it: nobody is chased
        with transaction.atomic():
            passed = [s for s in steps if s < step]
            InvoiceReminder.objects.bulk_create(
                [
                    InvoiceReminder(tenant=tenant, invoice=invoice, offset_days=s, sent=False)
                    for s in passed
                ],
                ignore_conflicts=True,
            )
            recipients = invoice_recipients(invoice)
            too_early = invoice.issue_date >= invoice.due_date + timedelta(days=step)
            reminder, created = InvoiceReminder.objects.get_or_create(
                invoice=invoice,
                offset_days=step,
                defaults={"tenant": tenant, "sent": bool(recipients) and not too_early},
            )
            if not created or not reminder.sent:
                continue
            message = invoice_message(
                invoice,
                template="payment_reminder",
                recipients=recipients,
                extra={"overdue_days": step if step > 0 else 0, "today": today},
            )
            message.send()
            sent += 1
    return sent
