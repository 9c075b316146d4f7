"""Stripe's webhooks: verified, stored once by event id, processed by a worker.

Every handler is idempotent and safe in any order: a payment recorded once stays recorded (see
`attempt_settle`), a failure arriving after a success changes nothing, a card already removed
or saved is left as it is. `events_reconcile` fetches recent events from Stripe in case some
never arrived; they go through the same store-once path.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime, timedelta

import stripe
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from billing.payments.dunning import dunning_open
from billing.payments.gateways import ChargeOutcome, GatewayError, gateway_for
from billing.payments.models import (
    AttemptStatus,
    Gateway,
    GatewayCustomer,
    GatewayEvent,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    PaymentSettings,
    Refund,
    RefundStatus,
)
from billing.payments.services import attempt_settle, payment_method_forget, payment_method_save
from billing.payments.tasks import process_gateway_event
from core.audit import audit_record
from core.models import Tenant
from core.roles import SYSTEM

logger = logging.getLogger(__name__)


class BadSignature(Exception):
    pass


class BadEvent(Exception):
    """Signed, but not shaped like a Stripe event: nothing is kept."""


LATEST_TIMESTAMP = 253402300799  # 9999-12-31 23:59:59 UTC, the last second a datetime holds


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400: PostgreSQL's jsonb holds no infinity
        raise ValueError(f"not a finite number: {text}")
    return value


def _refuse_constant(text: str) -> float:
    raise ValueError(f"not a number: {text}")


def webhook_verify(*, tenant: Tenant, payload: bytes, signature: str) -> dict:
    """The event, if Stripe signed it with this business's webhook secret (else BadSignature)
    and it has the shape the store and the handlers rely on (else BadEvent)."""
    config = PaymentSettings.objects.filter(tenant=tenant, gateway=Gateway.STRIPE).first()
    if config is None or not config.stripe_webhook_secret:
        raise BadSignature("no webhook secret")
    try:
        stripe.WebhookSignature.verify_header(payload, signature, config.stripe_webhook_secret)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise BadSignature(str(exc)) from exc
    # Only now is the body parsed, and by us: Stripe's own event builder fails on a body that
    # is not an object, and PostgreSQL refuses NUL characters and infinities in jsonb.
    if b"\\u0000" in payload:
        raise BadEvent("NUL character")
    try:
        event = json.loads(payload, parse_float=_finite_float, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise BadEvent(str(exc)) from exc
    _check_shape(event)
    return event


def _check_shape(event: object) -> None:
    if not isinstance(event, dict):
        raise BadEvent("not an object")
    for key, longest in (("id", 255), ("type", 100)):  # GatewayEvent's columns
        value = event.get(key)
        if not isinstance(value, str) or not 0 < len(value) <= longest:
            raise BadEvent(f"bad {key}")
    created = event.get("created")
    if type(created) is not int or not 0 <= created <= LATEST_TIMESTAMP:  # bool is no time
        raise BadEvent("bad created")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise BadEvent("bad data.object")


def gateway_event_store(*, tenant: Tenant, event: dict) -> GatewayEvent | None:
    """Keep the event once; None when it was already here (a duplicate delivery)."""
    try:
        with transaction.atomic():
            return GatewayEvent.objects.create(
                tenant=tenant,
                event_id=event["id"],
                type=event.get("type", ""),
                created=datetime.fromtimestamp(int(event.get("created") or 0), tz=UTC),
                payload=event,
            )
    except IntegrityError:
        return None


@transaction.atomic
def webhook_accept(*, tenant: Tenant, event: dict) -> bool:
    """Keep a verified event once and hand it to a worker; False for a duplicate delivery."""
    stored = gateway_event_store(tenant=tenant, event=event)
    if stored is None:
        return False
    transaction.on_commit(lambda: process_gateway_event.delay(stored.pk))
    return True


@transaction.atomic
def gateway_event_process(event_pk: int) -> str:
    """Apply one stored event, once (its row is locked and marked processed)."""
    event = GatewayEvent.objects.select_for_update().select_related("tenant").get(pk=event_pk)
    if event.processed_at is not None:
        return event.outcome
    handler = HANDLERS.get(event.type)
    obj = (event.payload.get("data") or {}).get("object") or {}
    if event.type in DATED:
        outcome = handler(event.tenant, obj, event.created)
    else:
        outcome = handler(event.tenant, obj) if handler else "ignored"
    event.processed_at, event.outcome = timezone.now(), outcome[:300]
    event.save(update_fields=["processed_at", "outcome"])
    return event.outcome


def _attempt_for(tenant: Tenant, intent: dict) -> PaymentAttempt | None:
    attempt = PaymentAttempt.objects.filter(tenant=tenant, intent_id=intent.get("id", "")).first()
    if attempt is None:  # the event may beat our own request's answer: find it by metadata
        meta = intent.get("metadata") or {}
        if str(meta.get("kontor_tenant")) == str(tenant.pk) and meta.get("kontor_invoice"):
            attempt = PaymentAttempt.objects.filter(
                tenant=tenant,
                invoice_id=meta["kontor_invoice"],
                number=meta.get("kontor_attempt") or 0,
            ).first()
    return attempt


def _charge_id(intent: dict) -> str:
    charge = intent.get("latest_charge")
    if isinstance(charge, dict):
        return charge.get("id", "")
    if charge:
        return charge
    charges = (intent.get("charges") or {}).get("data") or []  # the 2017-era shape
    return charges[0]["id"] if charges else ""


def _intent_succeeded(tenant: Tenant, intent: dict) -> str:
    attempt = _attempt_for(tenant, intent)
    if attempt is None:
        return "no such attempt"
    outcome = ChargeOutcome(
        AttemptStatus.SUCCEEDED, intent_id=intent["id"], reference=_charge_id(intent)
    )
    attempt = attempt_settle(attempt=attempt, outcome=outcome, actor=SYSTEM)
    return f"attempt {attempt.pk} {attempt.status}"


def _intent_failed(tenant: Tenant, intent: dict) -> str:
    attempt = _attempt_for(tenant, intent)
    if attempt is None:
        return "no such attempt"
    error = intent.get("last_payment_error") or {}
    outcome = ChargeOutcome(
        AttemptStatus.FAILED, intent_id=intent["id"], failure_message=error.get("message", "")
    )
    attempt = attempt_settle(attempt=attempt, outcome=outcome, actor=SYSTEM)
    if attempt.off_session and attempt.status == AttemptStatus.FAILED:
        dunning_open(invoice=attempt.invoice, attempt=attempt)
    return f"attempt {attempt.pk} {attempt.status}"  # a success recorded earlier stays


def _method_updated(tenant: Tenant, method: dict, created: datetime) -> str:
    """New card details — unless a later event already brought newer ones."""
    card = method.get("card") or {}
    details = {
        k: v
        for k, v in {
            "brand": card.get("brand"),
            "last4": card.get("last4"),
            "exp_month": card.get("exp_month"),
            "exp_year": card.get("exp_year"),
        }.items()
        if v
    }
    known = PaymentMethod.objects.filter(tenant=tenant, token=method.get("id", ""))
    if not known.exists():
        return "unknown card"
    newer = known.filter(Q(details_as_of__isnull=True) | Q(details_as_of__lt=created))
    updated = newer.update(**details, details_as_of=created)
    return "card updated" if updated else "older than what we know"


def _method_detached(tenant: Tenant, method: dict) -> str:
    known = PaymentMethod.objects.filter(tenant=tenant, token=method.get("id", "")).first()
    if known is None:
        return "unknown card"
    payment_method_forget(method=known, actor=SYSTEM)
    return "card removed"


def _setup_succeeded(tenant: Tenant, setup: dict) -> str:
    """The browser confirmed a card but never came back (closed the tab): keep it anyway."""
    if PaymentMethod.objects.filter(tenant=tenant, token=setup.get("payment_method") or "-"):
        return "card known"
    account = GatewayCustomer.objects.filter(
        tenant=tenant, gateway=Gateway.STRIPE, external_id=setup.get("customer") or "-"
    ).first()
    if account is None:
        return "unknown customer"
    try:
        method = payment_method_save(customer=account.customer, setup_id=setup["id"], actor=SYSTEM)
    except GatewayError as exc:
        return f"not saved: {exc.message}"
    return f"card {method.pk} saved"


def _dispute(tenant: Tenant, dispute: dict) -> str:
    payment = Payment.objects.filter(tenant=tenant, reference=dispute.get("charge") or "-").first()
    if payment is None:
        return "unknown charge"
    if payment.disputed_at is None:
        Payment.objects.filter(pk=payment.pk).update(disputed_at=timezone.now())
        audit_record(
            tenant=tenant,
            actor=SYSTEM,
            action="payment.disputed",
            obj=payment,
            after={"reason": dispute.get("reason", ""), "amount": dispute.get("amount")},
        )
    return "payment disputed"


def _charge_refunded(tenant: Tenant, charge: dict) -> str:
    """Confirms refunds made here; one made elsewhere (Stripe's dashboard) is only noted: it
    needs a credit note, which staff issue."""
    refunds = (charge.get("refunds") or {}).get("data") or []
    ids = [r.get("id") for r in refunds if r.get("status", "succeeded") == "succeeded"]
    known = Refund.objects.filter(tenant=tenant, gateway_refund_id__in=[i for i in ids if i])
    if not known.exists():
        return "refund made outside Kontor: issue a credit note"
    known.exclude(status=RefundStatus.SUCCEEDED).update(status=RefundStatus.SUCCEEDED)
    return "refund confirmed"


DATED = {"payment_method.updated", "payment_method.automatically_updated"}
HANDLERS = {
    "charge.refunded": _charge_refunded,
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "payment_method.updated": _method_updated,
    "payment_method.automatically_updated": _method_updated,
    "payment_method.detached": _method_detached,
    "setup_intent.succeeded": _setup_succeeded,
    "charge.dispute.created": _dispute,
}


def events_reconcile(*, tenant: Tenant, since: timedelta = timedelta(days=3)) -> int:
    """Fetch the business's recent Stripe events and process any that never arrived."""
    gateway = gateway_for(tenant)
    if not gateway.takes_cards:
        return 0
    start = int((timezone.now() - since).timestamp())
    try:
        events = gateway.client.v1.events.list({"created": {"gte": start}, "limit": 100})
        found = [e.to_dict() for e in events.auto_paging_iter()]
    except stripe.StripeError:
        logger.exception("Reconciliation for %s could not list events", tenant.slug)
        return 0
    added = 0
    for event in found:
        if gateway_event_store(tenant=tenant, event=event) is not None:
            added += 1
    # New ones, and any stored earlier whose processing failed every time.
    pending = GatewayEvent.objects.filter(tenant=tenant, processed_at__isnull=True)
    for pk in pending.order_by("created", "id").values_list("pk", flat=True):
        try:
            gateway_event_process(pk)
        except Exception:
            logger.exception("Stripe event %s could not be applied; retried next night", pk)
    return added
