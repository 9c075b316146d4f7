"""Celery entry points of payment reminders."""

from celery import shared_task

from core.jobs import each_business_on_its_day


@shared_task(name="billing.tasks.send_payment_reminders", acks_late=True)
def send_payment_reminders() -> int:
    """Hourly: send the payment reminders due on each business's calendar day. Each step of an
    invoice is sent once (InvoiceReminder), so repeated runs are harmless."""
    from billing.collections.reminders import invoice_reminders_send

    return each_business_on_its_day(invoice_reminders_send)


@shared_task(name="billing.tasks.send_payment_reminder", acks_late=True)
def send_payment_reminder(reminder_id: int) -> bool:
    """E-mail one queued payment reminder (once: a repeat finds it sent)."""
    from billing.collections.reminders import invoice_reminder_deliver

    return invoice_reminder_deliver(reminder_id)


@shared_task(name="billing.tasks.build_customer_export", acks_late=True)
def build_customer_export(job_id: int) -> None:
    """Build a customer's ZIP of PDFs (billing.collections.exports), with its progress bar; a
    job already finished is not built again."""
    from billing.collections.exports import customer_pdf_export_build

    customer_pdf_export_build(job_id)
