"""Celery entry points of the billing run."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from core.models import Tenant
from subscriptions.periods import local_today

# A business with many due periods gets several tasks at once; they share its work through
# SKIP LOCKED (see billing.run), on as many worker processes or machines as there are.
PERIODS_PER_TASK = 5000
MAX_TASKS_PER_TENANT = 8


@shared_task(name="billing.tasks.run_billing", acks_late=True)
def run_billing() -> int:
    """Hourly: fan the run out — one task per business with something due (more for big ones),
    each on the business's own calendar day. A killed or doubled run is harmless. Returns how
    many tasks were queued."""
    from billing.run.services import due_subscriptions

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


@shared_task(name="billing.tasks.run_billing_for_tenant", acks_late=True)
def run_billing_for_tenant(tenant_id: int, day: str) -> int:
    """One share of a business's billing day; returns the invoices this task issued."""
    from billing.run.services import billing_run

    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        return 0
    return billing_run(today=date.fromisoformat(day), tenant=tenant).invoices


@shared_task(name="billing.tasks.run_billing_job", acks_late=True)
def run_billing_job(job_id: int) -> None:
    """A business's run started from the back office, with its progress bar (a job already
    finished is not run again)."""
    from billing.run.services import billing_run_job

    billing_run_job(job_id)
