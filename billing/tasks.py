from celery import shared_task
from django.utils import timezone

from billing.run import billing_run
from core.models import Tenant
from subscriptions.periods import local_today


@shared_task(acks_late=True)
def run_billing() -> int:
    """Hourly: invoice what is due, per tenant on its own calendar day. A killed or doubled run
    is harmless (see billing.run)."""
    issued = 0
    now = timezone.now()
    for tenant in Tenant.objects.filter(is_active=True):
        issued += billing_run(today=local_today(now, tenant.timezone), tenant=tenant).invoices
    return issued


@shared_task(acks_late=True)
def send_invoice_emails(invoice_ids: list[int], again: bool = False) -> int:
    """E-mail finalized invoices (a whole billing-run batch at a time). Safe to retry: each
    invoice is e-mailed once (InvoiceDelivery), unless staff send it `again`."""
    from billing.emails import send_invoice_issued

    return sum(send_invoice_issued(pk, again=again) for pk in invoice_ids)


@shared_task(acks_late=True)
def send_payment_reminders() -> int:
    """Hourly: send the payment reminders due on each business's calendar day. Each step of an
    invoice is sent once (InvoiceReminder), so repeated runs are harmless."""
    from billing.reminders import invoice_reminders_send

    now = timezone.now()
    return sum(
        invoice_reminders_send(tenant=tenant, today=local_today(now, tenant.timezone))
        for tenant in Tenant.objects.filter(is_active=True)
    )
