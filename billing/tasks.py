from datetime import date

from celery import shared_task
from django.utils import timezone

from billing.run import billing_run, due_subscriptions
from core.models import Tenant
from subscriptions.periods import local_today

# A business with many due periods gets several tasks at once; they share its work through
# SKIP LOCKED (see billing.run), on as many worker processes or machines as there are.
PERIODS_PER_TASK = 5000
MAX_TASKS_PER_TENANT = 8


def _each_business_on_its_day(job) -> int:
    """Run `job(tenant=…, today=…)` for every active business on its own calendar day."""
    now = timezone.now()
    return sum(
        job(tenant=tenant, today=local_today(now, tenant.timezone))
        for tenant in Tenant.objects.filter(is_active=True)
    )


@shared_task(acks_late=True)
def run_billing() -> int:
    """Hourly: fan the run out — one task per business with something due (more for big ones),
    each on the business's own calendar day. A killed or doubled run is harmless. Returns how
    many tasks were queued."""
    now = timezone.now()
    queued = 0
    for tenant in Tenant.objects.filter(is_active=True):
        today = local_today(now, tenant.timezone)
        due = due_subscriptions(tenant, today).count()
        if not due:
            continue
        tasks = min(MAX_TASKS_PER_TENANT, -(-due // PERIODS_PER_TASK))
        for _ in range(tasks):
            run_billing_for_tenant.delay(tenant.pk, today.isoformat())
        queued += tasks
    return queued


@shared_task(acks_late=True)
def run_billing_for_tenant(tenant_id: int, day: str) -> int:
    """One share of a business's billing day; returns the invoices this task issued."""
    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        return 0
    return billing_run(today=date.fromisoformat(day), tenant=tenant).invoices


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

    return _each_business_on_its_day(invoice_reminders_send)


ARCHIVE_BATCH = 500


@shared_task(acks_late=True)
def archive_pdfs(limit: int = ARCHIVE_BATCH) -> int:
    """Hourly: render and store the PDF of finalized invoices and credit notes that have none
    yet, newest first, at most `limit` tries per run (a document that keeps failing is logged
    and never holds up the others). Each document is rendered once (see billing.pdf)."""
    import logging

    from billing.models import CreditNote, Invoice, InvoiceStatus
    from billing.pdf import credit_note_pdf, invoice_pdf

    done = tried = 0
    invoices = Invoice.objects.exclude(status=InvoiceStatus.DRAFT).filter(pdf="")
    notes = CreditNote.objects.filter(pdf="")
    for queryset, store in ((invoices, invoice_pdf), (notes, credit_note_pdf)):
        for document in queryset.select_related("tenant").order_by("-id")[: limit - tried]:
            tried += 1
            try:
                store(document)
            except Exception:
                logging.getLogger(__name__).exception("PDF of %s not archived", document)
            else:
                done += 1
    return done


@shared_task(acks_late=True)
def charge_invoices(invoice_ids: list[int]) -> int:
    """After the billing run: charge each invoice to its customer's default card (off-session);
    a failure opens dunning. Safe to retry: an invoice already tried is not charged again."""
    import logging

    from billing.dunning import invoice_autocharge

    charged = 0
    for pk in invoice_ids:
        try:
            attempt = invoice_autocharge(pk)
        except Exception:
            logging.getLogger(__name__).exception("Charging invoice %s failed", pk)
            continue
        charged += attempt is not None
    return charged


@shared_task(acks_late=True)
def run_dunning() -> int:
    """Hourly: retry the failed renewal charges due on each business's calendar day."""
    from billing.dunning import dunning_run

    return _each_business_on_its_day(dunning_run)


@shared_task(acks_late=True)
def send_card_expiry_reminders() -> int:
    """Hourly (each card once): default cards that expire at the end of next month."""
    from billing.dunning import card_expiry_reminders_send

    return _each_business_on_its_day(card_expiry_reminders_send)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=30, max_retries=5)
def process_gateway_event(event_pk: int) -> str:
    """Apply one stored Stripe event (once: a repeat finds it processed)."""
    from billing.webhooks import gateway_event_process

    return gateway_event_process(event_pk)


@shared_task(acks_late=True)
def reconcile_gateway_events() -> int:
    """Nightly: fetch each card-taking business's recent Stripe events, in case some webhook
    deliveries never arrived; they are stored and processed once, like the others."""
    from billing.models import Gateway, PaymentSettings
    from billing.webhooks import events_reconcile

    tenants = Tenant.objects.filter(
        is_active=True,
        pk__in=PaymentSettings.objects.filter(gateway=Gateway.STRIPE).values("tenant"),
    )
    import logging

    done = 0
    for tenant in tenants:
        try:
            done += events_reconcile(tenant=tenant)
        except Exception:  # one business's trouble never stops the others'
            logging.getLogger(__name__).exception("Reconciliation of %s failed", tenant.slug)
    return done


@shared_task(acks_late=True)
def send_refunds(refund_ids: list[int]) -> int:
    """Pay refunds back through the gateway (idempotent per refund)."""
    from billing.models import RefundStatus
    from billing.refunds import refund_send

    return sum(refund_send(pk).status == RefundStatus.SUCCEEDED for pk in refund_ids)
