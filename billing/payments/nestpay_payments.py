"""Paying an invoice at a NestPay bank (`gateways.nestpay_gateway`): the order the customer's
browser takes to the bank's 3-D gate, the answer the bank posts back, and the reconciliation of
orders whose answer never came.

Every click on "Pay" is a new attempt with its own order id, so the bank never sees one id
twice and a customer who comes back from the bank's page and starts again is never refused.
The bank's answer is trusted only with its hash verified and only for an order Kontor sent; the
first verified final answer is recorded (under the invoice's lock, then the order's), and a
back-post that comes again, or on the other URL, finds it there and changes nothing. Orders whose
browser never came back are asked about at the bank (order inquiry); the money they took is
recorded just the same.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _

from billing.documents.invoice_state import locked_invoice
from billing.documents.models import Invoice
from billing.payments.gateways import ChargeOutcome, GatewayError, NestPayGateway, gateway_for
from billing.payments.models import AttemptStatus, NestPayOrder, PaymentAttempt
from billing.payments.nestpay.client import OrderStatus
from billing.payments.nestpay.codes import currency_code
from billing.payments.selectors import NestPayConfig
from billing.payments.services import amount_to_pay, attempt_settle, next_attempt_number
from core.audit import audit_record
from core.models import Tenant, User
from core.roles import SYSTEM, SystemActor, require

logger = logging.getLogger(__name__)

# An order without an answer is asked about at the bank after this long (the customer may
# still be typing), and given up once the bank has no record of it for this long.
ANSWER_AWAITED = timedelta(minutes=15)
ABANDONED_AFTER = timedelta(hours=1)
OID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class BadBackPost(Exception):
    """Not a verified answer of the business's bank to an order Kontor sent: answered with
    400, and nothing is changed."""


def nestpay_gateway(tenant: Tenant) -> NestPayGateway | None:
    gateway = gateway_for(tenant)
    return gateway if isinstance(gateway, NestPayGateway) else None


def installment_choices(config: NestPayConfig, *, amount: Decimal, currency: str) -> list[int]:
    """The installment counts (taksit) offered for this amount; empty: one payment only.
    Offered in the minimum's currency (TRY when no minimum is set), from the minimum up."""
    if not config.installments:
        return []
    minimum = config.installments_min
    if minimum is None:
        return sorted(config.installments) if currency == "TRY" else []
    if currency != minimum.currency or amount < minimum.amount:
        return []
    return sorted(config.installments)


def _new_oid(invoice: Invoice, number: int) -> str:
    # Readable for the bank's back office (the invoice and the try), unique with a random tail.
    return f"K{invoice.pk}-{number}-{get_random_string(8, OID_ALPHABET)}"


@transaction.atomic
def nestpay_order_open(
    *,
    invoice: Invoice,
    amount: Decimal | None,
    installments: int | None,
    return_path: str,
    actor: User | SystemActor,
) -> NestPayOrder:
    """A new order for the bank's gate: all that is due (or `amount`, where the business
    allows part payments), in one payment or in the installments the business offers."""
    require(
        actor,
        "invoice.pay",
        tenant=invoice.tenant,
        customer_id=invoice.customer_id,
        or_staff="invoices.manage",
    )
    gateway = nestpay_gateway(invoice.tenant)
    if gateway is None:
        raise ValidationError(_("This business does not take payments at a bank."), code="gateway")
    invoice = locked_invoice(invoice)
    amount = amount_to_pay(invoice, amount)
    if invoice.currency not in gateway.config.currencies:
        raise ValidationError(
            _("This business takes no card payments in %(currency)s.")
            % {"currency": invoice.currency},
            code="currency",
        )
    offered = installment_choices(gateway.config, amount=amount, currency=invoice.currency)
    if installments is not None and installments not in offered:
        raise ValidationError(
            _("This number of installments is not offered for this amount."), code="installments"
        )
    number = next_attempt_number(invoice)
    oid = _new_oid(invoice, number)
    attempt = PaymentAttempt.objects.create(
        tenant=invoice.tenant,
        customer=invoice.customer,
        invoice=invoice,
        number=number,
        amount=amount,
        currency=invoice.currency,
        intent_id=oid,
        status=AttemptStatus.REQUIRES_ACTION,  # the customer is on the bank's page
    )
    order = NestPayOrder.objects.create(
        tenant=invoice.tenant,
        attempt=attempt,
        oid=oid,
        installments=installments,
        return_path=return_path,
    )
    audit_record(
        tenant=invoice.tenant,
        actor=actor,
        action="payment_attempt.sent_to_bank",
        obj=invoice,
        after={"attempt": number, "order": oid, "amount": amount, "installments": installments},
    )
    return order


def _amount_matches(fields: dict[str, str], attempt: PaymentAttempt) -> bool:
    try:
        amount = Decimal(fields.get("amount", ""))
    except InvalidOperation:
        return False
    return amount == attempt.amount and fields.get("currency") == currency_code(attempt.currency)


def nestpay_answer(*, tenant: Tenant, fields: dict[str, str], via: str) -> NestPayOrder:
    """The bank's back-post (`via` the ok or the fail URL): verified, then recorded once."""
    gateway = nestpay_gateway(tenant)
    if gateway is None or not gateway.answer_verified(fields):
        raise BadBackPost("hash")
    order = (
        NestPayOrder.objects.filter(tenant=tenant, oid=fields.get("oid", ""))
        .select_related("attempt__invoice")
        .first()
    )
    if order is None:
        raise BadBackPost("order")
    if not _amount_matches(fields, order.attempt):
        # Signed by the bank for an amount Kontor never asked for: a store key that leaked.
        logger.error("NestPay answer for %s with another amount or currency", order.oid)
        raise BadBackPost("amount")
    return _answer_record(order, fields, via, gateway.answer_outcome(fields))


@transaction.atomic
def _answer_record(
    order: NestPayOrder, fields: dict[str, str], via: str, outcome: ChargeOutcome
) -> NestPayOrder:
    locked_invoice(order.attempt.invoice)  # the invoice, then the order: as paying does
    order = NestPayOrder.objects.select_for_update().select_related("attempt").get(pk=order.pk)
    if order.answered_at is not None:
        return order  # the first verified final answer won
    order.answered_at, order.answered_by = timezone.now(), via
    order.md_status = fields.get("mdStatus", "")[:4]
    order.proc_return_code = fields.get("ProcReturnCode", "")[:8]
    order.response = fields.get("Response", "")[:32]
    order.trans_id = fields.get("TransId", "")[:64]
    order.auth_code = fields.get("AuthCode", "")[:32]
    order.host_ref_num = fields.get("HostRefNum", "")[:32]
    order.masked_pan = fields.get("maskedCreditCard", "")[:32]
    order.err_msg = fields.get("ErrMsg", "")[:500]
    order.save()
    attempt_settle(attempt=order.attempt, outcome=outcome, actor=SYSTEM)
    order.attempt.refresh_from_db()
    return order


def _status_fields(status: OrderStatus) -> dict[str, str]:
    """The inquiry's answer in the back-post's field names, as the order keeps them."""
    return {
        "ProcReturnCode": status.proc_return_code,
        # The answer's own Response says whether the query worked; the sale's is its state.
        "Response": "Approved" if status.approved else "Declined",
        "TransId": status.trans_id,
        "AuthCode": status.auth_code,
        "ErrMsg": status.err_msg,
    }


def nestpay_reconcile(*, tenant: Tenant, now: datetime | None = None) -> int:
    """Settle the orders whose answer never came back (the browser was closed on the bank's
    page, or the back-post was lost): the bank's order inquiry says how each stands. Returns
    how many were settled."""
    gateway = nestpay_gateway(tenant)
    if gateway is None:
        return 0
    now = now or timezone.now()
    waiting = (
        NestPayOrder.objects.filter(
            tenant=tenant,
            answered_at__isnull=True,
            attempt__status=AttemptStatus.REQUIRES_ACTION,
            created_at__lte=now - ANSWER_AWAITED,
        )
        .select_related("attempt__invoice")
        .order_by("id")
    )
    settled = 0
    for order in waiting:
        attempt = order.attempt
        try:
            status = gateway.inquiry(order.oid, attempt.currency)
        except GatewayError:
            logger.warning("NestPay inquiry of %s failed; tried again later", order.oid)
            continue
        outcome = gateway.status_outcome(attempt, status)
        if outcome.status == AttemptStatus.SUCCEEDED:
            _answer_record(order, _status_fields(status), "inquiry", outcome)
        elif outcome.status == AttemptStatus.FAILED:
            # Declined (or voided) at the bank. Not written as the order's answer: a verified
            # back-post arriving later still counts.
            attempt_settle(attempt=attempt, outcome=outcome, actor=SYSTEM)
        elif status.no_record and order.created_at <= now - ABANDONED_AFTER:
            # Only on the bank's own "no record": an inquiry that failed (its credentials
            # refused) says nothing about whether money was taken.
            attempt_settle(
                attempt=attempt,
                outcome=ChargeOutcome(
                    AttemptStatus.FAILED,
                    failure_message=str(_("The payment was not completed at the bank.")),
                ),
                actor=SYSTEM,
            )
        else:
            continue
        settled += 1
    return settled
