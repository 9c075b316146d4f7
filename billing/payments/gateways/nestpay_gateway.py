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

import logging
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

logger = logging.getLogger(__name__)

DECLINED = "D"  # the order inquiry's TRANS_STAT for a sale the bank refused

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
        try:
            return NestPayApi(
                self.config.api_url,
                self.config.client_id,
                self.config.api_user,
                self.config.api_password,
            )
        except ValueError as exc:  # an API address that is no http(s) URL
            raise GatewayError(
                _("The bank's API address in the payment settings is not valid."), code="settings"
            ) from exc

    def inquiry(self, oid: str, currency: str) -> OrderStatus:
        try:
            return self._api().inquiry(oid, currency)
        except NestPayUnreachable as exc:
            raise GatewayError(
                _("The bank could not be reached; try again later."), code="unreachable"
            ) from exc

    def charge_refresh(self, attempt: PaymentAttempt) -> ChargeOutcome:
        """How the bank's order stands (the browser never came back with the answer)."""
        return self.status_outcome(attempt, self.inquiry(attempt.intent_id, attempt.currency))

    # A bank order cannot be withdrawn: "cancelling" one (an order that lapsed) records how it
    # stands, which is a success if the customer paid just before.
    charge_cancel = charge_refresh

    @staticmethod
    def status_outcome(attempt: PaymentAttempt, status: OrderStatus) -> ChargeOutcome:
        """The attempt's outcome from the bank's order inquiry. A sale for another amount than
        the attempt's is left as it is, for staff to look at: it is never recorded as asked."""
        if status.found and status.approved:
            if status.amount != attempt.amount:
                logger.error(
                    "NestPay order %s: the bank took %s, Kontor asked %s",
                    attempt.intent_id,
                    status.amount,
                    attempt.amount,
                )
                return ChargeOutcome(attempt.status, intent_id=attempt.intent_id)
            return ChargeOutcome(
                AttemptStatus.SUCCEEDED,
                intent_id=attempt.intent_id,
                reference=status.trans_id or attempt.intent_id,
            )
        if status.found and status.voided:
            return ChargeOutcome(
                AttemptStatus.FAILED,
                intent_id=attempt.intent_id,
                failure_message=str(_("The payment was not completed at the bank.")),
            )
        if status.found and status.trans_stat == DECLINED:
            return ChargeOutcome(
                AttemptStatus.FAILED,
                intent_id=attempt.intent_id,
                failure_message=str(
                    bank_message(md_status="", proc_return_code=status.proc_return_code or "99")
                ),
            )
        # Not at the bank, or in a state it has not settled (pending, …): asked again later.
        return ChargeOutcome(attempt.status, intent_id=attempt.intent_id)

    def refund(self, payment: Payment, amount: Decimal, key: str) -> str:
        """Give `amount` of a NestPay payment back, never twice. The XML API takes no
        idempotency key, so the bank's order history is read first: credits it holds beyond
        the refunds recorded here as paid are earlier tries whose answer was lost, and are not
        sent again. `refunds.refund_send` holds the payment's row lock and settles its refunds
        oldest first, so such a credit is always the one being retried. A full refund on the day
        of the sale is a Void (nothing reaches the card statement); otherwise, or once the bank
        has closed the day, a Credit."""
        order = getattr(payment.attempt, "nestpay_order", None)
        if order is None:
            raise GatewayError(_("This payment was not taken through the bank."), code="other")
        recorded = payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(s=Sum("amount"))[
            "s"
        ] or Decimal(0)
        api = self._api()
        try:
            history = api.history(order.oid, payment.currency)
            if not history.found:  # the query failed: nothing is known
                raise GatewayError(
                    _("The bank has no sale for this payment: %(reason)s")
                    % {"reason": history.err_msg or history.response},
                    code="history",
                )
            if history.sale is None:
                raise GatewayError(
                    _("The bank has no approved sale for this payment."), code="no_sale"
                )
            if history.sale_voided:
                if recorded == 0 and amount == payment.amount:
                    return f"void:{order.oid}"  # the void went through; its answer was lost
                raise GatewayError(_("The bank voided this sale already."), code="voided")
            if not history.sale.succeeded:
                raise GatewayError(
                    _("The bank has no approved sale for this payment."), code="no_sale"
                )
            unrecorded = history.refunded - recorded
            if unrecorded == amount:
                return f"credit:{order.oid}:confirmed"  # an earlier try went through
            if unrecorded != 0:
                raise GatewayError(
                    _(
                        "The bank's refunds for this payment differ from Kontor's; "
                        "check them with the bank."
                    ),
                    code="mismatch",
                )
            if amount == payment.amount and history.refunded == 0:
                voided = api.void(order.oid)
                if voided.approved:
                    return f"void:{voided.trans_id or order.oid}"
            credited = api.credit(order.oid, amount, payment.currency)
        except NestPayUnreachable as exc:
            raise GatewayError(
                _("The bank could not be reached; retry the refund later."), code="unreachable"
            ) from exc
        except ValueError as exc:  # an amount or currency the API cannot send
            raise GatewayError(str(exc), code="refused") from exc
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

    card_setup_start = card_setup_finish = card_detach = charge = _refuse
