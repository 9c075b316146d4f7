"""NestPay (EST) 3D Pay: the virtual POS of the Turkish banks (NestPayBank lists them).

Unlike Stripe, Kontor never charges a card here. The customer's browser carries a form Kontor
signed (hash version 3, `billing.payments.nestpay.hashing`) to the bank's 3-D gate; the card is
typed on the bank's page (3D Pay Hosting) or posted from the browser straight to the gate (3D
Pay), and the bank posts its answer, signed with the same store key, back to an ok or a fail URL.
So nothing is charged off-session (`takes_cards` is False: no saved cards, no renewals charged by
the system); the customer pays at the bank (`pays_at_bank`). The server-to-server XML API gives
money back (Void on the day of the sale, Credit after) and tells how an order stands.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Sum
from django.utils.translation import gettext as _

from billing.payments.gateways.base import ChargeOutcome, GatewayError
from billing.payments.models import AttemptStatus, NestPayStoreType, RefundStatus
from billing.payments.nestpay.client import NestPayApi, NestPayUnreachable, OrderStatus
from billing.payments.nestpay.codes import currency_code, payment_approved
from billing.payments.nestpay.hashing import nestpay_hash, nestpay_hash_valid
from billing.payments.nestpay.messages import bank_message

if TYPE_CHECKING:
    from billing.payments.models import NestPayOrder, Payment, PaymentAttempt
    from billing.payments.selectors import NestPayConfig

# The languages the banks' 3-D pages speak; every other one gets English.
GATE_LANGUAGES = frozenset({"tr", "en"})


class NestPayGateway:
    takes_cards = False
    pays_at_bank = True
    publishable_key = ""

    def __init__(self, config: NestPayConfig) -> None:
        self.config = config

    @property
    def card_fields_on_page(self) -> bool:
        """3D Pay: the card inputs sit on Kontor's page but post straight to the bank."""
        return self.config.store_type == NestPayStoreType.PAY_3D

    def gate_form(
        self, order: NestPayOrder, *, ok_url: str, fail_url: str, lang: str
    ) -> tuple[str, dict[str, str]]:
        """The gate's address and the signed fields the browser posts there."""
        attempt = order.attempt
        fields = {
            "clientid": self.config.client_id,
            "storetype": self.config.store_type,
            "hashAlgorithm": "ver3",
            "TranType": "Auth",
            "oid": order.oid,
            "amount": f"{attempt.amount:.2f}",
            "currency": currency_code(attempt.currency),
            "okUrl": ok_url,
            "failUrl": fail_url,
            "rnd": secrets.token_hex(10),  # makes every signed form unique
            "lang": lang if lang in GATE_LANGUAGES else "en",
            "taksit": str(order.installments or ""),
            "encoding": "utf-8",
        }
        fields["hash"] = nestpay_hash(fields, self.config.store_key)
        return self.config.gate_url, fields

    def answer_verified(self, fields: dict[str, str]) -> bool:
        """The back-post carries the bank's hash over its fields, made with the store key."""
        return fields.get("clientid", "") == self.config.client_id and nestpay_hash_valid(
            fields, self.config.store_key
        )

    @staticmethod
    def answer_outcome(fields: dict[str, str]) -> ChargeOutcome:
        """What a verified back-post says: approved (money taken) or not, and why."""
        if payment_approved(fields):
            return ChargeOutcome(
                AttemptStatus.SUCCEEDED,
                intent_id=fields.get("oid", ""),
                reference=fields.get("TransId", "") or fields.get("oid", ""),
            )
        return ChargeOutcome(
            AttemptStatus.FAILED,
            intent_id=fields.get("oid", ""),
            failure_message=str(bank_message(
                md_status=fields.get("mdStatus", ""),
                proc_return_code=fields.get("ProcReturnCode", ""),
                err_msg=fields.get("ErrMsg", ""),
            )),
        )  # fmt: skip

    # The XML API ---------------------------------------------------------------------------

    def _api(self) -> NestPayApi:
        return NestPayApi(
            self.config.api_url,
            self.config.client_id,
            self.config.api_user,
            self.config.api_password,
        )

    def inquiry(self, oid: str) -> OrderStatus:
        try:
            return self._api().inquiry(oid)
        except NestPayUnreachable as exc:
            raise GatewayError(
                _("The bank could not be reached; try again later."), code="unreachable"
            ) from exc

    def charge_refresh(self, attempt: PaymentAttempt) -> ChargeOutcome:
        """How the bank's order stands (the browser never came back with the answer)."""
        return self.status_outcome(attempt, self.inquiry(attempt.intent_id))

    @staticmethod
    def status_outcome(attempt: PaymentAttempt, status: OrderStatus) -> ChargeOutcome:
        if status.found and status.approved and not status.voided:
            return ChargeOutcome(
                AttemptStatus.SUCCEEDED,
                intent_id=attempt.intent_id,
                reference=status.trans_id or attempt.intent_id,
            )
        if status.found:  # declined, or voided since
            return ChargeOutcome(
                AttemptStatus.FAILED,
                intent_id=attempt.intent_id,
                failure_message=str(
                    bank_message(md_status="1", proc_return_code=status.proc_return_code or "99")
                ),
            )
        return ChargeOutcome(attempt.status, intent_id=attempt.intent_id)  # not at the bank

    def refund(self, payment: Payment, amount: Decimal, key: str) -> str:
        """Give `amount` of a NestPay payment back. The XML API takes no idempotency key, so
        the bank's own record is asked first: what it gave back beyond the refunds recorded
        here succeeded is an earlier try of this one (whose answer was lost), and is not sent
        again. The caller holds the payment's row lock, so refunds of one payment go one by
        one. A full refund on the day of the sale is a Void (nothing reaches the card
        statement); otherwise, or when the bank has already closed the day, a Credit."""
        order = payment.attempt.nestpay_order
        recorded = payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(s=Sum("amount"))[
            "s"
        ] or Decimal(0)
        try:
            api = self._api()
            status = api.inquiry(order.oid)
            if not status.found or not status.approved:
                raise GatewayError(
                    _("The bank has no approved sale for this payment."), code="no_sale"
                )
            if status.voided:
                if recorded == 0 and amount == payment.amount:
                    return f"void:{order.oid}"  # the void went through; its answer was lost
                raise GatewayError(_("The bank voided this sale already."), code="voided")
            unrecorded = status.refunded - recorded
            if unrecorded >= amount:
                return f"credit:{order.oid}:confirmed"  # an earlier try went through
            if unrecorded > 0:
                raise GatewayError(
                    _(
                        "The bank's refunds for this payment differ from Kontor's; "
                        "check them with the bank."
                    ),
                    code="mismatch",
                )
            if amount == payment.amount and status.refunded == 0:
                voided = api.void(order.oid)
                if voided.approved:
                    return f"void:{voided.trans_id or order.oid}"
            credited = api.credit(order.oid, amount, payment.currency)
        except NestPayUnreachable as exc:
            raise GatewayError(
                _("The bank could not be reached; the refund is tried again."), code="unreachable"
            ) from exc
        if not credited.approved:
            raise GatewayError(
                _("The bank refused the refund: %(reason)s")
                % {"reason": credited.err_msg or credited.proc_return_code},
                code="refused",
            )
        return f"credit:{credited.trans_id or order.oid}"

    # No saved cards and no charges made by Kontor --------------------------------------------

    def _refuse(self, *args, **kwargs):
        raise GatewayError(
            _("This business takes card payments at its bank's secure page only."), code="bank_page"
        )

    card_setup_start = card_setup_finish = card_detach = charge = charge_cancel = _refuse
