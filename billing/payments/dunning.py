"""Renewals charged to the saved card, and what happens when that fails.

After the billing run finalizes an invoice for a customer with a default card, the card is
charged off-session (`invoice_autocharge`; test accounts never). A failed charge opens a dunning
case: the customer is e-mailed to update the card, and the charge is retried on the business's
schedule (`PaymentSettings.retry_days`, days after the first failure). Paid in the meantime, by
any means, the case closes as recovered; after the last retry the business's final action is
taken (write the invoice off, suspend the subscription, or leave it open).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing.documents.emails import invoice_message, invoice_recipients
from billing.documents.links import invoice_link_path
from billing.documents.models import PAYABLE, Invoice, InvoiceStatus
from billing.documents.services import invoice_mark_uncollectible
from billing.payments.models import (
    AttemptStatus,
    DunningCase,
    DunningFinalAction,
    DunningOutcome,
    PaymentAttempt,
    PaymentMethod,
    PaymentSettings,
)
from billing.payments.recovery import dunning_close_recovered
from billing.payments.services import invoice_pay
from billing.payments.tasks import send_card_expiry_notice, send_dunning_notice
from contracts.models import Contact
from core.audit import audit_record
from core.emails import templated_message
from core.models import Tenant
from core.roles import SYSTEM, ContactRole
from core.tenancy import tenant_host
from subscriptions.periods import local_today
from subscriptions.services import subscription_suspend

logger = logging.getLogger(__name__)


def _settings(tenant: Tenant) -> PaymentSettings:
    return PaymentSettings.objects.filter(tenant=tenant).first() or PaymentSettings(tenant=tenant)


def _default_card(invoice: Invoice) -> PaymentMethod | None:
    return PaymentMethod.objects.filter(customer=invoice.customer_id, is_default=True).first()


def _chargeable(invoice: Invoice) -> bool:
    return invoice.status in PAYABLE and invoice.amount_due > 0 and not invoice.is_test


def invoice_autocharge(invoice_id: int) -> PaymentAttempt | None:
    """Charge a just-finalized invoice to the customer's default card, off-session. None when
    there is nothing to charge (no card, a test account, already settled, bank transfer)."""
    invoice = Invoice.objects.select_related("tenant", "customer").get(pk=invoice_id)
    config = _settings(invoice.tenant)
    if not config.takes_cards or not _chargeable(invoice):
        return None
    if invoice.payment_attempts.exclude(status=AttemptStatus.PROCESSING).exists():
        return None  # charged before (a retried task): dunning carries on from there
    card = _default_card(invoice)
    if card is None:
        return None
    try:  # an unanswered earlier try is repeated under its own key: never charged twice
        attempt = invoice_pay(invoice=invoice, method=card, actor=SYSTEM, off_session=True)
    except ValidationError:
        return None  # a charge the gateway is still processing: its webhook settles it
    if needs_dunning(attempt):
        dunning_open(invoice=invoice, attempt=attempt)
    return attempt


def needs_dunning(attempt: PaymentAttempt) -> bool:
    """Declined, waiting for a customer who is not there (off-session), or no answer at all
    (retried on the schedule under the same key)."""
    return attempt.status in (AttemptStatus.FAILED, AttemptStatus.REQUIRES_ACTION) or (
        attempt.status == AttemptStatus.PROCESSING and bool(attempt.failure_message)
    )


def dunning_open(*, invoice: Invoice, attempt: PaymentAttempt) -> DunningCase:
    today = local_today(timezone.now(), invoice.tenant.timezone)
    retry_days = _settings(invoice.tenant).retry_days or []
    case, created = DunningCase.objects.get_or_create(
        invoice=invoice,
        defaults={
            "tenant": invoice.tenant,
            "started_on": today,
            "next_retry_on": today + timedelta(days=retry_days[0]) if retry_days else None,
        },
    )
    if created:
        audit_record(
            tenant=invoice.tenant,
            actor=SYSTEM,
            action="dunning.open",
            obj=invoice,
            after={"failure": attempt.failure_message, "next_retry_on": case.next_retry_on},
        )
        _tell_customer(case, attempt)
        if case.next_retry_on is None:
            _give_up(case, today)
    return case


def dunning_run(*, tenant: Tenant, today: date) -> int:
    """Retry what is due today; returns how many charges were tried."""
    tried = 0
    due = DunningCase.objects.filter(
        tenant=tenant, closed_on__isnull=True, next_retry_on__lte=today
    ).select_related("invoice__tenant", "invoice__customer")
    for case in due:
        try:
            tried += _retry(case, today)
        except Exception:
            logger.exception(
                "Dunning retry for invoice %s failed; retried next run", case.invoice_id
            )
    return tried


def card_expiry_reminders_send(*, tenant: Tenant, today: date) -> int:
    """A month ahead: tell the account's owners and billing contacts that the default card
    expires at the end of next month, once per card; returns how many were queued."""
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    cards = PaymentMethod.objects.filter(
        tenant=tenant,
        is_default=True,
        exp_year=next_month.year,
        exp_month=next_month.month,
        expiry_reminded_at__isnull=True,
    )
    queued = 0
    for card in cards:
        claimed = PaymentMethod.objects.filter(pk=card.pk, expiry_reminded_at__isnull=True).update(
            expiry_reminded_at=timezone.now()
        )
        if claimed and _card_recipients(card):
            transaction.on_commit(
                lambda pk=card.pk, year=card.exp_year, month=card.exp_month: (
                    send_card_expiry_notice.delay(pk, year, month)
                )
            )
            queued += 1
    return queued


def _card_recipients(card: PaymentMethod) -> list[str]:
    return list(
        Contact.objects.filter(
            customer=card.customer_id,
            role__in=[ContactRole.OWNER, ContactRole.BILLING],
            is_active=True,
        ).values_list("user__email", flat=True)
    )


def card_expiry_notice_send(card_id: int, exp_year: int, exp_month: int) -> bool:
    """E-mail the card-expiry reminder (in a worker, after the card was claimed), unless the
    card was replaced or updated since."""
    card = (
        PaymentMethod.objects.select_related("customer", "tenant")
        .filter(pk=card_id, is_default=True, exp_year=exp_year, exp_month=exp_month)
        .first()
    )
    recipients = _card_recipients(card) if card is not None else []
    if not recipients:
        return False
    tenant = card.tenant
    base = f"{settings.KONTOR_LINK_SCHEME}://{tenant_host(tenant)}{settings.KONTOR_LINK_PORT}"
    templated_message(
        prefix="emails/card_expiring",
        to=recipients,
        context={
            "card": card,
            "customer": card.customer,
            "tenant": tenant,
            "link": f"{base}/payment-methods/add/",
        },
        language=card.customer.language or tenant.locale,
        tenant=tenant,
    ).send()
    return True


def _retry(case: DunningCase, today: date) -> int:
    invoice = case.invoice
    if not _chargeable(invoice):
        dunning_close_recovered(case, today)
        return 0
    card = _default_card(invoice)
    attempt = None
    if card is not None:
        try:
            attempt = invoice_pay(invoice=invoice, method=card, actor=SYSTEM, off_session=True)
        except ValidationError:
            return 0  # a charge is still under way: try again next run
    if (
        attempt is not None
        and attempt.status == AttemptStatus.PROCESSING
        and not (attempt.failure_message)
    ):
        return 1  # the gateway is working on it: its answer (webhook) decides, not a retry
    case.retries_done += 1
    retry_days = _settings(invoice.tenant).retry_days or []
    if attempt is not None and attempt.status == AttemptStatus.SUCCEEDED:
        # Paying closed the case already (dunning_settled); keep the count of retries.
        DunningCase.objects.filter(pk=case.pk).update(retries_done=case.retries_done)
        return 1
    if case.retries_done < len(retry_days):
        case.next_retry_on = case.started_on + timedelta(days=retry_days[case.retries_done])
        case.save(update_fields=["retries_done", "next_retry_on"])
        _tell_customer(case, attempt)
    else:
        case.save(update_fields=["retries_done"])
        _give_up(case, today)
    return 1 if attempt is not None else 0


@transaction.atomic
def _give_up(case: DunningCase, today: date) -> None:
    action = _settings(case.invoice.tenant).final_action
    invoice = case.invoice
    if action == DunningFinalAction.UNCOLLECTIBLE and invoice.status == InvoiceStatus.OPEN:
        invoice_mark_uncollectible(invoice=invoice, actor=SYSTEM, reason="dunning exhausted")
    elif action == DunningFinalAction.SUSPEND and invoice.subscription is not None:
        subscription_suspend(
            subscription=invoice.subscription, actor=SYSTEM, reason=f"invoice {invoice.number}"
        )
    case.closed_on, case.outcome, case.next_retry_on = today, DunningOutcome.EXHAUSTED, None
    case.final_action = action
    case.save(update_fields=["closed_on", "outcome", "next_retry_on", "final_action"])
    audit_record(
        tenant=case.tenant,
        actor=SYSTEM,
        action="dunning.exhausted",
        obj=invoice,
        after={"final_action": action, "retries": case.retries_done},
    )
    _tell_customer(case, None, final=True)


def _tell_customer(case: DunningCase, attempt: PaymentAttempt | None, *, final=False) -> None:
    # What the e-mail says is taken now, as it stands in this transaction; a worker sends it.
    notice = {
        "reason": attempt.failure_message if attempt is not None else "",
        "next_retry_on": case.next_retry_on.isoformat() if case.next_retry_on else None,
        "final": final,
        "final_action": case.final_action,
    }
    transaction.on_commit(lambda: send_dunning_notice.delay(case.pk, notice))


def dunning_notice_send(case_id: int, notice: dict) -> bool:
    """E-mail the customer that a renewal charge failed (in a worker, after commit): the bank's
    reason, the next try or the final action, and the signed link to pay with another card.
    Not sent if the invoice got paid in the meantime."""
    case = DunningCase.objects.select_related("invoice__tenant", "invoice__customer").get(
        pk=case_id
    )
    invoice = case.invoice
    recipients = invoice_recipients(invoice)
    if case.outcome == DunningOutcome.RECOVERED or invoice.amount_due <= 0 or not recipients:
        return False
    base = (
        f"{settings.KONTOR_LINK_SCHEME}://{tenant_host(invoice.tenant)}{settings.KONTOR_LINK_PORT}"
    )
    next_retry_on = notice["next_retry_on"]
    invoice_message(
        invoice=invoice,
        template="payment_failed",
        recipients=recipients,
        extra={
            "reason": notice["reason"],
            "next_retry_on": date.fromisoformat(next_retry_on) if next_retry_on else None,
            "final": notice["final"],
            "final_action": notice["final_action"],
            # The signed link's pay page, the card kept for the next renewals: no login needed.
            "cards_link": f"{base}{invoice_link_path(invoice)}pay/?keep=1",
        },
    ).send()
    return True
