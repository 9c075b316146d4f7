"""Celery entry points of payments: renewal charges, dunning, card-expiry reminders, gateway
events, NestPay order inquiries, refunds."""

import logging
import smtplib

from celery import shared_task
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError

from billing.documents.pdf import receipt_pdf
from billing.payments.models import Gateway, PaymentSettings, Receipt, RefundStatus
from core.jobs import each_business_on_its_day
from core.models import Tenant
from subscriptions.tasks import send_low_balance_alert


@shared_task(name="billing.tasks.store_receipt_pdf", acks_late=True)
def store_receipt_pdf(receipt_id: int) -> bool:
    """Right after a payment is committed: render and store its receipt's PDF, once. Safe to
    retry; one that fails is left to the hourly `archive_pdfs`."""
    receipt = Receipt.objects.filter(pk=receipt_id, pdf="").first()
    if receipt is None:
        return False
    receipt_pdf(receipt)
    return True


@shared_task(name="billing.tasks.archive_receipt_pdfs", acks_late=True)
def archive_receipt_pdfs(limit: int = 500) -> int:
    """Hourly, beside billing.documents' `archive_pdfs`: store the PDF of receipts that have
    none yet (their worker failed, or they were issued by a migration), newest first."""
    done = 0
    for receipt in Receipt.objects.filter(pdf="").order_by("-id")[:limit]:
        try:
            receipt_pdf(receipt)
        except Exception:
            logging.getLogger(__name__).exception("PDF of receipt %s not archived", receipt)
        else:
            done += 1
    return done


@shared_task(name="billing.tasks.charge_invoices", acks_late=True)
def charge_invoices(invoice_ids: list[int]) -> int:
    """After the billing run: charge each invoice to its customer's default card (off-session);
    a failure opens dunning. Safe to retry: an invoice already tried is not charged again."""

    from billing.payments.dunning import invoice_autocharge

    charged = 0
    for pk in invoice_ids:
        try:
            attempt = invoice_autocharge(pk)
        except Exception:
            logging.getLogger(__name__).exception("Charging invoice %s failed", pk)
            continue
        charged += attempt is not None
    return charged


# A database error (deadlock, lost connection) is retried, not taken for a refusal: the retry
# buys once at most, as the crossing bought for is checked under the account's lock.
@shared_task(
    name="billing.tasks.auto_topup",
    acks_late=True,
    autoretry_for=(DatabaseError, OSError),
    retry_backoff=30,
    max_retries=5,
)
def auto_topup(account_id: int, crossing: int, balance: int) -> bool:
    """Enqueued by name by subscriptions/alerts.py when a balance with an automatic top-up
    chosen falls below the threshold: buy the top-up once for that crossing, then send the
    low-balance alert (which says whether a top-up was started). Safe to run twice."""
    from billing.payments.auto_topup import auto_topup_buy

    try:
        bought = auto_topup_buy(account_id=account_id, crossing=crossing) is not None
    except (ValidationError, PermissionDenied):  # refused: the alert goes out all the same
        logging.getLogger(__name__).exception("Automatic top-up of account %s refused", account_id)
        bought = False
    send_low_balance_alert.delay(account_id, crossing, balance)
    return bought


@shared_task(name="billing.tasks.run_dunning", acks_late=True)
def run_dunning() -> int:
    """Hourly: retry the failed renewal charges due on each business's calendar day."""
    from billing.payments.dunning import dunning_run

    return each_business_on_its_day(dunning_run)


@shared_task(name="billing.tasks.send_card_expiry_reminders", acks_late=True)
def send_card_expiry_reminders() -> int:
    """Hourly (each card once): default cards that expire at the end of next month."""
    from billing.payments.dunning import card_expiry_reminders_send

    return each_business_on_its_day(card_expiry_reminders_send)


@shared_task(
    name="billing.tasks.process_gateway_event",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    max_retries=5,
)
def process_gateway_event(event_pk: int) -> str:
    """Apply one stored Stripe event (once: a repeat finds it processed)."""
    from billing.payments.webhooks import gateway_event_process

    return gateway_event_process(event_pk)


@shared_task(name="billing.tasks.reconcile_gateway_events", acks_late=True)
def reconcile_gateway_events() -> int:
    """Nightly: fetch each card-taking business's recent Stripe events, in case some webhook
    deliveries never arrived; they are stored and processed once, like the others."""
    from billing.payments.webhooks import events_reconcile

    tenants = Tenant.objects.filter(
        is_active=True,
        pk__in=PaymentSettings.objects.filter(gateway=Gateway.STRIPE).values("tenant"),
    )

    done = 0
    for tenant in tenants:
        try:
            done += events_reconcile(tenant=tenant)
        except Exception:  # one business's trouble never stops the others'
            logging.getLogger(__name__).exception("Reconciliation of %s failed", tenant.slug)
    return done


@shared_task(name="billing.tasks.reconcile_nestpay_orders", acks_late=True)
def reconcile_nestpay_orders() -> int:
    """Every few minutes: ask the bank about NestPay orders whose answer never came back (the
    browser closed on the bank's page) and record how each ended."""
    from billing.payments.nestpay_payments import nestpay_reconcile

    tenants = Tenant.objects.filter(
        is_active=True,
        pk__in=PaymentSettings.objects.filter(gateway=Gateway.NESTPAY).values("tenant"),
    )
    done = 0
    for tenant in tenants:
        try:
            done += nestpay_reconcile(tenant=tenant)
        except Exception:  # one business's trouble never stops the others'
            logging.getLogger(__name__).exception(
                "NestPay reconciliation of %s failed", tenant.slug
            )
    return done


@shared_task(name="billing.tasks.send_refunds", acks_late=True)
def send_refunds(refund_ids: list[int]) -> int:
    """Pay refunds back through the gateway (idempotent per refund). One refund's trouble never
    stops the others'; it stays to be retried from the back office."""
    from billing.payments.refunds import refund_send

    done = 0
    for pk in refund_ids:
        try:
            done += refund_send(pk).status == RefundStatus.SUCCEEDED
        except Exception:
            logging.getLogger(__name__).exception("Refund %s could not be sent", pk)
    return done


# A mail server that refuses or times out is tried again later; the notice is not lost.
@shared_task(
    name="billing.tasks.send_dunning_notice",
    acks_late=True,
    autoretry_for=(OSError,),  # smtplib's errors are OSErrors
    retry_backoff=60,
    max_retries=6,
)
def send_dunning_notice(case_id: int, notice: dict) -> bool:
    """E-mail the customer that a renewal charge failed."""
    from billing.payments.dunning import dunning_notice_send

    return dunning_notice_send(case_id, notice)


@shared_task(
    name="billing.tasks.send_card_expiry_notice",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=60,
    max_retries=6,
)
def send_card_expiry_notice(card_id: int, exp_year: int, exp_month: int) -> bool:
    """E-mail the owners and billing contacts that the default card expires next month."""
    from billing.payments.dunning import card_expiry_notice_send

    return card_expiry_notice_send(card_id, exp_year, exp_month)


# As for the dunning notice; the addresses already mailed for the order are not mailed again.
@shared_task(
    name="billing.tasks.send_package_purchase_emails",
    acks_late=True,
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=60,
    max_retries=6,
)
def send_package_purchase_emails(order_id: int, invoice_id: int) -> int:
    """After a package purchase and its invoice are committed: tell the buyer and the business
    (each address once; nothing when all were sent)."""
    from billing.payments.purchase_emails import send_package_purchase

    return send_package_purchase(order_id, invoice_id)
