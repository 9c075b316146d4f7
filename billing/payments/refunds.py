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


# A failed refund with one of these reasons moved no money (the bank refused it, or there is
# nothing left to give back): the refunds after it may go. Any other reason (the bank did not
# answer, its record differs) leaves it unknown whether the money went.
NOTHING_MOVED = frozenset({"refused", "voided", "no_sale", "other", "manual", "bank_page"})
EARLIER_FIRST = _("An earlier refund of this payment must be settled first.")


def refund_send(refund_id: int) -> Refund:
    """Ask the gateway to pay it back, never twice. Stripe keeps the idempotency key a retry
    reuses. NestPay has none: its order history is read first, and what it gave back beyond
    the refunds recorded is an earlier try of the refund being sent — so a payment's refunds go
    oldest first: an earlier one still waiting is sent first, and while an earlier one's
    outcome is unknown, nothing after it is sent. Each refund is sent in its own transaction,
    under the payment's row lock."""
    refund = Refund.objects.select_related("payment__attempt", "tenant").get(pk=refund_id)
    if refund.status not in (RefundStatus.PENDING, RefundStatus.FAILED):
        return refund
    attempt = getattr(refund.payment, "attempt", None) if refund.payment else None
    gateway = gateway_for(refund.tenant)
    by_hand = not (gateway.takes_cards or gateway.pays_at_bank)
    if attempt is None or by_hand or hasattr(attempt, "nestpay_order") != gateway.pays_at_bank:
        # Not a gateway payment, or taken through a gateway the business no longer uses.
        refund.status = RefundStatus.MANUAL
        refund.save(update_fields=["status"])
        return refund
    if gateway.pays_at_bank:
        earlier = Refund.objects.filter(
            payment=refund.payment_id,
            pk__lt=refund.pk,
            status__in=[RefundStatus.PENDING, RefundStatus.FAILED],
        ).order_by("pk")
        for each in earlier:
            if each.status == RefundStatus.FAILED and each.failure_code in NOTHING_MOVED:
                continue  # refused: left to staff, and no money of it at the bank
            each = _refund_send_one(each.pk, gateway)
            if each.status != RefundStatus.SUCCEEDED and each.failure_code not in NOTHING_MOVED:
                Refund.objects.filter(pk=refund.pk).update(
                    status=RefundStatus.FAILED,
                    failure_message=str(EARLIER_FIRST)[:500],
                    failure_code="earlier",
                )
                refund.refresh_from_db()
                return refund
    return _refund_send_one(refund.pk, gateway)


@transaction.atomic
def _refund_send_one(refund_id: int, gateway) -> Refund:
    Payment.objects.select_for_update().filter(refunds=refund_id).exists()
    refund = Refund.objects.select_related("payment__attempt", "tenant").get(pk=refund_id)
    if refund.status not in (RefundStatus.PENDING, RefundStatus.FAILED):
        return refund  # sent meanwhile by another worker
    try:
        gateway_id = gateway.refund(refund.payment, refund.amount, refund.idempotency_key)
    except GatewayError as exc:
        refund.status, refund.failure_message = RefundStatus.FAILED, exc.message[:500]
        refund.failure_code = exc.code[:32]
    else:
        refund.status, refund.gateway_refund_id = RefundStatus.SUCCEEDED, gateway_id
        refund.failure_message = refund.failure_code = ""
    refund.save(update_fields=["status", "gateway_refund_id", "failure_message", "failure_code"])
    audit_record(
        tenant=refund.tenant,
        actor=SYSTEM,
        action=f"refund.{refund.status}",
        obj=refund.credit_note,
        after={"amount": refund.amount, "gateway": refund.gateway_refund_id},
    )
    return refund


@transaction.atomic
def refund_paid_by_hand(*, refund: Refund, actor: User) -> Refund:
    """Staff paid a failed refund back themselves (a bank transfer): it is never sent again."""
    require(actor, "payments.refund", tenant=refund.tenant)
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != RefundStatus.FAILED:
        return refund
    refund.status = RefundStatus.MANUAL
    refund.save(update_fields=["status"])
    audit_record(
        tenant=refund.tenant,
        actor=actor,
        action="refund.paid_by_hand",
        obj=refund.credit_note,
        before={"failure": refund.failure_message},
        after={"amount": refund.amount},
    )
    return refund
