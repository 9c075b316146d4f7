"""An invoice in dunning got paid (by any means): its case closes as recovered. Below the payment
services, which call it when an invoice is paid; dunning itself stands on those services."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from billing.documents.models import Invoice
from billing.payments.models import (
    DunningCase,
    DunningFinalAction,
    DunningOutcome,
)
from core.audit import audit_record
from core.roles import SYSTEM
from subscriptions.periods import local_today
from subscriptions.services import subscription_resume


def dunning_settled(invoice: Invoice) -> None:
    """The invoice got paid (by any means): an open case closes as recovered, and a subscription
    suspended for it comes back."""
    case = DunningCase.objects.filter(invoice=invoice).first()
    if case is None or case.outcome == DunningOutcome.RECOVERED:
        return
    dunning_close_recovered(case, local_today(timezone.now(), invoice.tenant.timezone))


def dunning_close_recovered(case: DunningCase, today: date) -> None:
    case.closed_on, case.outcome, case.next_retry_on = today, DunningOutcome.RECOVERED, None
    case.save(update_fields=["closed_on", "outcome", "next_retry_on", "retries_done"])
    subscription = case.invoice.subscription
    if case.final_action == DunningFinalAction.SUSPEND and subscription is not None:
        subscription_resume(subscription=subscription, actor=SYSTEM)
    audit_record(tenant=case.tenant, actor=SYSTEM, action="dunning.recovered", obj=case.invoice)
