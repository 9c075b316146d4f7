"""Taking money: saved cards and paying invoices through the business's gateway.

A charge is three steps so that no database lock is held while the gateway is called and a
retried request never charges twice: the attempt is recorded (numbered per invoice, which makes
the gateway's idempotency key), the gateway is called, and its answer is settled — once, under
the invoice's row lock — into a payment allocated to the invoice. Money the invoice no longer
needs (paid meanwhile by other means) becomes customer credit, never lost.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.documents.invoice_state import locked_invoice, move_invoice
from billing.documents.models import PAYABLE, CustomerCreditEntry, Invoice, InvoiceStatus
from billing.payments.gateways import ChargeOutcome, GatewayError, gateway_for
from billing.payments.models import (
    ATTEMPT_TRANSITIONS,
    AttemptStatus,
    GatewayCustomer,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentMethod,
    PaymentMethodKind,
    PaymentSettings,
)
from billing.payments.receipts import receipt_issue
from billing.payments.recovery import dunning_settled
from contracts.models import Customer
from core.audit import audit_record
from core.models import User
from core.money import round_money
from core.roles import SYSTEM, SystemActor, require
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.periods import local_today

# An attempt the gateway said is processing blocks others this long; its webhook settles it.
logger = logging.getLogger(__name__)

IN_FLIGHT_FOR = timedelta(minutes=15)
KEY_KEPT_FOR = timedelta(hours=24)  # how long Stripe keeps an idempotency key
UNDER_WAY = _("A payment of this invoice is already under way; wait a moment and reload.")


def payment_apply(
    invoice: Invoice,
    *,
    amount: Decimal,
    actor: User | SystemActor,
    method: str,
    reference: str,
    received_on: date,
) -> Payment:
    """Record money received for a locked, payable invoice: the payment, its allocation (up to
    what is due) and any excess as customer credit; the invoice is paid once nothing is due."""
    return _payment_spread(
        customer=invoice.customer,
        invoices=[invoice],
        amount=round_money(amount, invoice.currency),
        currency=invoice.currency,
        actor=actor,
        method=method,
        reference=reference,
        received_on=received_on,
    )


def _payment_spread(
    *, customer, invoices, amount, currency, actor, method, reference, received_on
) -> Payment:
    """One payment over locked invoices, in the order given; what is left is customer credit."""
    payment = Payment.objects.create(
        tenant=customer.tenant,
        customer=customer,
        amount=amount,
        currency=currency,
        received_on=received_on,
        method=method,
        reference=reference,
    )
    rest = amount
    for invoice in invoices:
        applied = min(rest, invoice.amount_due) if invoice.status in PAYABLE else Decimal(0)
        if applied > 0:
            _allocate(payment, invoice, applied, actor)
            rest -= applied
    if rest > 0:
        CustomerCreditEntry.objects.create(
            tenant=customer.tenant,
            customer=customer,
            currency=currency,
            amount=rest,
            invoice=invoices[0] if len(invoices) == 1 else None,
        )
    receipt_issue(payment)
    return payment


def _allocate(
    payment: Payment, invoice: Invoice, applied: Decimal, actor: User | SystemActor
) -> None:
    PaymentAllocation.objects.create(
        tenant=invoice.tenant, payment=payment, invoice=invoice, amount=applied
    )
    invoice.amount_paid += applied
    if invoice.amount_due == 0:
        invoice.paid_at = timezone.now()
        move_invoice(
            invoice, InvoiceStatus.PAID, kind="paid", actor=actor, data={"amount": applied}
        )
        dunning_settled(invoice)
    else:
        audit_record(
            tenant=invoice.tenant,
            actor=actor,
            action="invoice.partly_paid",
            obj=invoice,
            after={"amount": applied, "due": invoice.amount_due},
        )
    invoice.save(update_fields=["amount_paid", "paid_at", "status"])


@transaction.atomic
def payment_record(
    *,
    customer: Customer,
    amount: Decimal,
    currency: str,
    method: str,
    reference: str,
    received_on: date,
    invoices: list[Invoice],
    actor: User,
) -> Payment:
    """Staff record money that arrived outside Kontor's gateway (a bank transfer, cash) and
    allocate it to the customer's open invoices, oldest due first; the rest is credit."""
    require(actor, "invoices.manage", tenant=customer.tenant)
    amount = round_money(amount, currency)
    if amount <= 0:
        raise ValidationError(_("The amount must be more than zero."), code="amount")
    locked = list(
        Invoice.objects.select_for_update()
        .select_related("tenant", "customer")
        .filter(customer=customer, pk__in=[i.pk for i in invoices], currency=currency)
        .order_by("due_date", "id")
    )
    payment = _payment_spread(
        customer=customer,
        invoices=locked,
        amount=amount,
        currency=currency,
        actor=actor,
        method=method,
        reference=reference,
        received_on=received_on,
    )
    audit_record(
        tenant=customer.tenant,
        actor=actor,
        action="payment.record",
        obj=payment,
        after={
            "amount": amount,
            "method": method,
            "reference": reference,
            "invoices": [i.number for i in locked],
        },
    )
    return payment


# Saved cards ---------------------------------------------------------------------------------


def _require_card_manager(actor: User | SystemActor, customer: Customer) -> None:
    """The customer's own contact with the role, or staff acting on their behalf."""
    require(
        actor,
        "payment_method.manage",
        tenant=customer.tenant,
        customer_id=customer.pk,
        or_staff="payment_methods.manage",
    )


def card_setup_start(*, customer: Customer, actor: User) -> tuple[str, str]:
    """(publishable key, client secret) for Stripe.js to save a card for this customer."""
    _require_card_manager(actor, customer)
    gateway = gateway_for(customer.tenant)
    return gateway.publishable_key, gateway.card_setup_start(customer)


def payment_method_save(
    *, customer: Customer, setup_id: str, actor: User | SystemActor
) -> PaymentMethod:
    """Keep the card the browser just saved at the gateway (checked there, not taken from the
    form). The first card becomes the default. Saving the same card twice keeps one."""
    _require_card_manager(actor, customer)
    card = gateway_for(customer.tenant).card_setup_finish(customer, setup_id, purpose="setup")
    return _card_keep(customer=customer, card=card, actor=actor)[0]


def link_card_setup_start(*, invoice: Invoice) -> tuple[str, str]:
    """For the e-mailed invoice link (the link is the authority): a card setup only that
    invoice's link page can finish."""
    gateway = gateway_for(invoice.tenant)
    return gateway.publishable_key, gateway.card_setup_start(
        invoice.customer, purpose=f"link-{invoice.pk}"
    )


def link_card_take(*, invoice: Invoice, setup_id: str) -> PaymentMethod:
    """The card entered on the invoice link's page — never one of the customer's saved cards,
    which need a login."""
    card = gateway_for(invoice.tenant).card_setup_finish(
        invoice.customer, setup_id, purpose=f"link-{invoice.pk}"
    )
    # Nobody is logged in: the link is the authority, and the system keeps the card.
    method, created = _card_keep(customer=invoice.customer, card=card, actor=SYSTEM)
    if not created:
        raise GatewayError(str(_("This card is saved already; log in to pay with it.")))
    return method


@transaction.atomic
def _card_keep(
    *, customer: Customer, card, actor: User | SystemActor
) -> tuple[PaymentMethod, bool]:
    Customer.objects.select_for_update().filter(pk=customer.pk).exists()
    method, created = PaymentMethod.objects.get_or_create(
        tenant=customer.tenant,
        token=card.token,
        defaults={
            "customer": customer,
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "is_default": not customer.payment_methods.exists(),
            "added_by": None if actor is SYSTEM or _is_contact(actor, customer) else actor,
        },
    )
    if method.customer_id != customer.pk:
        raise PermissionDenied("another customer's card")
    if created:
        GatewayCustomer.objects.filter(customer=customer).update(cards_saved=F("cards_saved") + 1)
        audit_record(
            tenant=customer.tenant,
            actor=actor,
            action="payment_method.add",
            obj=method,
            after={"card": str(method), "customer": customer.number},
        )
    return method, created


def _is_contact(actor: User, customer: Customer) -> bool:
    return customer.contacts.filter(user=actor).exists()


def payment_method_set_default(*, method: PaymentMethod, actor: User | SystemActor) -> None:
    customer = method.customer
    _require_card_manager(actor, customer)
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=method.customer_id).exists()
        PaymentMethod.objects.filter(customer=method.customer_id, is_default=True).update(
            is_default=False
        )
        PaymentMethod.objects.filter(pk=method.pk).update(is_default=True)
        audit_record(tenant=method.tenant, actor=actor, action="payment_method.default", obj=method)


def payment_method_remove(*, method: PaymentMethod, actor: User) -> None:
    """Detach it at the gateway, then forget it."""
    customer = method.customer
    _require_card_manager(actor, customer)
    gateway_for(method.tenant).card_detach(method)
    payment_method_forget(method=method, actor=actor)


@transaction.atomic
def payment_method_forget(*, method: PaymentMethod, actor: User | SystemActor) -> None:
    """Drop a card that is gone at the gateway; the newest other card becomes the default."""
    Customer.objects.select_for_update().filter(pk=method.customer_id).exists()
    method = PaymentMethod.objects.filter(pk=method.pk).first()
    if method is None:
        return  # removed meanwhile (another tab, or a webhook)
    audit_record(
        tenant=method.tenant,
        actor=actor,
        action="payment_method.remove",
        obj=method,
        before={"card": str(method)},
    )
    PaymentMethod.objects.filter(pk=method.pk).delete()
    if method.is_default:
        successor = (
            PaymentMethod.objects.filter(customer=method.customer_id)
            .order_by("-created_at", "-id")
            .first()
        )
        if successor is not None:
            PaymentMethod.objects.filter(pk=successor.pk).update(is_default=True)


def auto_charged_subscriptions(customer: Customer) -> int:
    """Active subscriptions whose renewals are charged to the default card."""

    return Subscription.objects.filter(
        customer=customer,
        status__in=[
            SubscriptionStatus.ACTIVE,
            SubscriptionStatus.SCHEDULED_CHANGE,
            SubscriptionStatus.SCHEDULED_END,
        ],
    ).count()


# Paying invoices -----------------------------------------------------------------------------


def partial_payments_allowed(tenant) -> bool:
    config = PaymentSettings.objects.filter(tenant=tenant).first()
    return bool(config and config.partial_payments_allowed)


def amount_to_pay(invoice: Invoice, amount: Decimal | None) -> Decimal:
    """What a payment of the locked invoice takes: all that is due, or `amount` where the
    business allows part payments; refused when nothing is due or the amount is out of range."""
    if invoice.status not in PAYABLE or invoice.amount_due <= 0:
        raise ValidationError(_("This invoice has nothing left to pay."), code="not_payable")
    due = invoice.amount_due
    amount = due if amount is None else round_money(amount, invoice.currency)
    if amount != due and not partial_payments_allowed(invoice.tenant):
        raise ValidationError(_("This invoice can only be paid in full."), code="partial")
    if amount <= 0 or amount > due:
        raise ValidationError(_("The amount must be between 0 and what is due."), code="amount")
    return amount


def next_attempt_number(invoice: Invoice) -> int:
    """Attempts are numbered per invoice (under its row lock): the gateway's keys use it."""
    return (invoice.payment_attempts.aggregate(n=Max("number"))["n"] or 0) + 1


@transaction.atomic
def _attempt_open(
    *, invoice: Invoice, method: PaymentMethod, amount: Decimal | None, off_session: bool
) -> PaymentAttempt:
    invoice = locked_invoice(invoice)
    amount = amount_to_pay(invoice, amount)
    if method.customer_id != invoice.customer_id:
        raise PermissionDenied("another customer's card")
    in_flight = invoice.payment_attempts.filter(status=AttemptStatus.PROCESSING)
    now = timezone.now()
    recent = now - IN_FLIGHT_FOR
    # One attempt with the gateway at a time, claimed under the invoice's lock and committed
    # before the call: another request seeing the claim waits for nothing and sends nothing.
    # A claim older than IN_FLIGHT_FOR is a request that died mid-call: its attempt is retried.
    if in_flight.filter(charging_since__gte=recent).exists():
        raise ValidationError(UNDER_WAY, code="in_flight")
    # The gateway never answered these: whether they charged is unknown until the same key is
    # sent again (the gateway keeps a key KEY_KEPT_FOR).
    unknown = in_flight.filter(intent_id="", created_at__gte=now - KEY_KEPT_FOR)
    unanswered = unknown.filter(payment_method=method, amount=amount).first()
    if unanswered is not None:
        # Try it again under the same idempotency key and with the same parameters (a key sent
        # with others is refused), so that a charge that did go through is returned, not made
        # twice.
        unanswered.charging_since = now
        unanswered.save(update_fields=["charging_since", "updated_at"])
        return unanswered
    # Another card or amount while one outcome is unknown could charge twice: refused, until
    # that attempt is sent again or its key expires.
    if unknown.exists() or in_flight.filter(updated_at__gte=recent).exists():
        raise ValidationError(UNDER_WAY, code="in_flight")
    return PaymentAttempt.objects.create(
        tenant=invoice.tenant,
        customer=invoice.customer,
        invoice=invoice,
        number=next_attempt_number(invoice),
        payment_method=method,
        amount=amount,
        currency=invoice.currency,
        off_session=off_session,
        charging_since=now,
    )


def invoice_pay(
    *,
    invoice: Invoice,
    method: PaymentMethod,
    actor: User | SystemActor,
    amount: Decimal | None = None,
    off_session: bool = False,
) -> PaymentAttempt:
    """Charge a saved card for the invoice (all that is due, or `amount` where the business
    allows part payments). The attempt says how it went: succeeded, needs the customer's
    confirmation (3-D Secure, in the browser), or failed with the gateway's reason."""
    require(
        actor,
        "invoice.pay",
        tenant=invoice.tenant,
        customer_id=invoice.customer_id,
        or_staff="invoices.manage",
    )
    attempt = _attempt_open(invoice=invoice, method=method, amount=amount, off_session=off_session)
    try:
        outcome = gateway_for(invoice.tenant).charge(attempt, method)
    except GatewayError as exc:
        # Unreachable: whether it charged is unknown. The attempt stays processing; a retry
        # reuses its key, and the webhook or the reconciliation tells how it went.
        status = AttemptStatus.FAILED if exc.code == "manual" else AttemptStatus.PROCESSING
        outcome = ChargeOutcome(status, failure_message=exc.message)
    except Exception:
        # Anything else after the claim: the outcome is just as unknown. Recorded as such (the
        # claim released, the attempt kept for a retry under its key), never left claimed.
        logger.exception("Charging attempt %s failed unexpectedly", attempt.pk)
        outcome = ChargeOutcome(AttemptStatus.PROCESSING, failure_message="")
    return attempt_settle(attempt=attempt, outcome=outcome, actor=actor)


@transaction.atomic
def attempt_settle(
    *, attempt: PaymentAttempt, outcome: ChargeOutcome, actor: User | SystemActor
) -> PaymentAttempt:
    """Apply the gateway's answer to the attempt — once: a success already recorded (by the
    page, a webhook or the reconciliation) is not recorded again."""
    invoice = locked_invoice(attempt.invoice)
    attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
    if outcome.status not in ATTEMPT_TRANSITIONS[attempt.status]:
        return attempt  # settled already, or older news than what we know
    attempt.intent_id = outcome.intent_id or attempt.intent_id
    attempt.status = outcome.status
    attempt.charging_since = None  # the gateway's answer (or its silence) is in
    attempt.failure_message = outcome.failure_message[:500]
    if outcome.status == AttemptStatus.SUCCEEDED:
        attempt.payment = payment_apply(
            invoice,
            amount=attempt.amount,
            actor=actor,
            method=PaymentMethodKind.CARD,
            reference=outcome.reference or attempt.intent_id,
            received_on=local_today(timezone.now(), invoice.tenant.timezone),
        )
    attempt.save()
    audit_record(
        tenant=attempt.tenant,
        actor=actor,
        action=f"payment_attempt.{attempt.status}",
        obj=invoice,
        after={
            "attempt": attempt.number,
            "amount": attempt.amount,
            "off_session": attempt.off_session,
            "failure": attempt.failure_message,
        },
    )
    attempt.client_secret = outcome.client_secret  # for the page, never stored
    return attempt


def attempt_refresh(*, attempt: PaymentAttempt, actor: User | SystemActor) -> PaymentAttempt:
    """Ask the gateway again (the browser finished 3-D Secure, or a job reconciles)."""
    if attempt.status == AttemptStatus.SUCCEEDED or not attempt.intent_id:
        return attempt
    return attempt_settle(
        attempt=attempt, outcome=gateway_for(attempt.tenant).charge_refresh(attempt), actor=actor
    )


def attempt_cancel(*, attempt: PaymentAttempt, actor: User | SystemActor) -> PaymentAttempt:
    """Withdraw a charge that waits for the customer's 3-D Secure step (the order it pays
    lapsed): it can no longer go through. If it went through just before, that is recorded."""
    if attempt.status != AttemptStatus.REQUIRES_ACTION or not attempt.intent_id:
        return attempt
    return attempt_settle(
        attempt=attempt, outcome=gateway_for(attempt.tenant).charge_cancel(attempt), actor=actor
    )


@transaction.atomic
def invoice_mark_paid(
    *,
    invoice: Invoice,
    actor: User | SystemActor,
    amount: Decimal,
    received_on: date | None = None,
    reference: str = "",
    method: str = PaymentMethodKind.BANK_TRANSFER,
) -> Invoice:
    """Record a bank transfer seen by staff. Partial payments keep it open; the full amount
    marks it paid."""

    require(actor, "invoices.manage", tenant=invoice.tenant)
    invoice = locked_invoice(invoice)
    amount = round_money(Decimal(amount), invoice.currency)
    if invoice.status not in (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE):
        raise ValidationError(_("Only open invoices can be paid."), code="not_open")
    if amount <= 0 or amount > invoice.amount_due:
        raise ValidationError(_("The amount must be between 0 and what is due."), code="amount")
    payment_apply(
        invoice,
        amount=amount,
        actor=actor,
        method=method,
        reference=reference or invoice.number,
        received_on=received_on or timezone.localdate(),
    )
    return invoice
