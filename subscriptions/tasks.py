import smtplib

from celery import shared_task
from django.utils import timezone

from core.models import Tenant
from subscriptions.periods import local_today


@shared_task(acks_late=True)
def apply_due_subscription_changes() -> dict[str, int]:
    """Hourly: apply scheduled tariff changes and end cancelled subscriptions, per tenant on
    that tenant's calendar day. Safe to run twice (the service re-checks each row)."""
    from subscriptions.services import subscriptions_apply_due

    totals = {"changed": 0, "ended": 0}
    now = timezone.now()
    for tenant in Tenant.objects.filter(is_active=True).only("pk", "timezone"):
        done = subscriptions_apply_due(tenant=tenant, today=local_today(now, tenant.timezone))
        for key, value in done.items():
            totals[key] += value
    return totals


@shared_task(acks_late=True)
def send_subscription_confirmation(event_id: int) -> int:
    """Confirm an order, a tariff change, a cancellation or its withdrawal by e-mail to the
    customer and the business (run after commit; sends nothing when already sent)."""
    from subscriptions.emails import send_subscription_confirmation as send

    return send(event_id)


# A mail server that refuses or times out is tried again later: the addresses already mailed
# for the crossing are marked (core/emails.py send_each_once), so only the missing ones are.
@shared_task(
    acks_late=True,
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=60,
    max_retries=6,
)
def send_low_balance_alert(account_id: int, crossing: int, balance: int) -> int:
    """Tell the customer and the business that the credit balance fell below the business's
    threshold (run after commit; sends nothing for a crossing already e-mailed)."""
    from subscriptions.alerts import send_low_balance

    return send_low_balance(account_id, crossing, balance)


@shared_task(acks_late=True)
def switch_off_lapsed_department_access() -> int:
    """Hourly: per tenant, on its own calendar day, switch off the departments that a
    subscription package switched on once that package has lapsed. Safe to run twice."""
    from subscriptions.access import department_access_lapse

    now = timezone.now()
    return sum(
        department_access_lapse(tenant=tenant, today=local_today(now, tenant.timezone))
        for tenant in Tenant.objects.filter(is_active=True).only("pk", "timezone")
    )
