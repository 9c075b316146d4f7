"""Giving money back. A credit note settled as a refund says how much; it is paid back against
the invoice's card payments through the gateway (newest first, never more than each payment
has left), and whatever was paid otherwise is left for the business to transfer back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from billing.documents.credit_notes import credit_note_write
from billing.documents.models import CreditNote, Invoice, Settlement
from billing.payments.gateways import GatewayError, gateway_for
from billing.payments.models import Payment, PaymentMethodKind, Refund, RefundStatus
from billing.payments.tasks import send_refunds
from core.audit import audit_record
from core.models import User
from core.roles import SYSTEM, SystemActor, require


def refundable(payment: Payment) -> Decimal:
    """What is left to give back; failed refunds count, for they are tried again."""
    given = payment.refunds.aggregate(s=Sum("amount"))["s"]
    return payment.amount - Decimal(given or 0)


def refunds_plan(*, invoice: Invoice, note: CreditNote, amount: Decimal) -> list[Refund]:
    """Inside the credit note's transaction: what goes back through which payment."""
    refunds = []
    card_payments = (  # taken through the gateway (a card payment staff typed in is not)
        Payment.objects.filter(
            allocations__invoice=invoice,
            method=PaymentMethodKind.CARD,
            attempt__isnull=False,
        )
        .select_for_update()
        .order_by("-received_on", "-id")
    )
    for payment in card_payments:
        if amount <= 0:
            break
        share = min(amount, refundable(payment))
        if share > 0:
            refunds.append(
                Refund.objects.create(
                    tenant=invoice.tenant,
                    payment=payment,
                    credit_note=note,
                    amount=share,
                    currency=invoice.currency,
                )
            )
            amount -= share
    if amount > 0:
        refunds.append(
            Refund.objects.create(
                tenant=invoice.tenant,
                credit_note=note,
                amount=amount,
                currency=invoice.currency,
                status=RefundStatus.MANUAL,
            )
        )
    pending = [r.pk for r in refunds if r.status == RefundStatus.PENDING]
    if pending:
        transaction.on_commit(lambda: send_refunds.delay(pending))
    return refunds


@transaction.atomic
def credit_note_refund(
    *,
    invoice: Invoice,
    actor: User | SystemActor,
    today: date,
    reason: str,
    quantities: dict[int, Decimal] | None = None,
) -> CreditNote:
    """A credit note settled as a refund: what it does not settle on the invoice is paid back,
    planned in the note's own transaction (see `refunds_plan`). Every refund-settled note needs
    the refund role, even one that only settles what is still due: "refund" on a note is a
    Manager's word, checked before anything is written."""
    require(actor, "payments.refund", tenant=invoice.tenant)
    note, rest = credit_note_write(
        invoice=invoice,
        actor=actor,
        today=today,
        reason=reason,
        quantities=quantities,
        settlement=Settlement.REFUND,
    )
    if rest:
        refunds_plan(invoice=invoice, note=note, amount=rest)
    return note


def refund_send(refund_id: int) -> Refund:
    """Ask the gateway to pay it back, never twice: Stripe keeps the idempotency key a retry
    reuses; NestPay, which has none, is asked first what it gave back already. A payment's
    refunds go one at a time, under its row lock, and oldest first — an older one still to
    send (or whose answer was lost) is settled before this one — so what the bank gave back
    beyond the refunds recorded is always the one being retried."""
    refund = Refund.objects.select_related("payment__attempt", "tenant").get(pk=refund_id)
    if refund.status not in (RefundStatus.PENDING, RefundStatus.FAILED):
        return refund
    if refund.payment is None or getattr(refund.payment, "attempt", None) is None:
        refund.status = RefundStatus.MANUAL  # not a gateway payment: paid back by hand
        refund.save(update_fields=["status"])
        return refund
    with transaction.atomic():
        Payment.objects.select_for_update().filter(pk=refund.payment_id).exists()
        waiting = (
            Refund.objects.select_related("payment__attempt__nestpay_order", "tenant")
            .filter(
                payment=refund.payment_id,
                pk__lte=refund.pk,
                status__in=[RefundStatus.PENDING, RefundStatus.FAILED],
            )
            .order_by("pk")
        )
        for each in waiting:
            _refund_send_one(each)
    refund.refresh_from_db()
    return refund


def _refund_send_one(refund: Refund) -> None:
    gateway = gateway_for(refund.tenant)
    try:
        if hasattr(refund.payment.attempt, "nestpay_order") != gateway.pays_at_bank:
            raise GatewayError(
                str(_("The business has changed its payment gateway since; pay this back by hand."))
            )
        gateway_id = gateway.refund(refund.payment, refund.amount, refund.idempotency_key)
    except GatewayError as exc:
        refund.status, refund.failure_message = RefundStatus.FAILED, exc.message[:500]
    else:
        refund.status, refund.gateway_refund_id = RefundStatus.SUCCEEDED, gateway_id
        refund.failure_message = ""
    refund.save(update_fields=["status", "gateway_refund_id", "failure_message"])
    audit_record(
        tenant=refund.tenant,
        actor=SYSTEM,
        action=f"refund.{refund.status}",
        obj=refund.credit_note,
        after={"amount": refund.amount, "gateway": refund.gateway_refund_id},
    )
