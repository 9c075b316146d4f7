"""Payment gateways: one small interface, three implementations, chosen per business
(`PaymentSettings.gateway`). This module holds the interface and the bank-transfer gateway.

- `manual`: bank transfer. Invoices show the business's bank details and a payment reference;
  staff record what arrives. It takes no cards.
- `stripe`: cards through Stripe.js (card data goes from the browser to Stripe, never here), saved
  as Stripe payment methods and charged with PaymentIntents, on or off session.
- `nestpay`: a Turkish bank's virtual POS; the customer pays on the bank's 3-D page, only when
  present (`gateways.nestpay_gateway`).

Amounts cross this boundary as integer minor units (`core.money.to_minor_units`); every write to
the gateway carries a deterministic idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from decimal import Decimal

    from billing.payments.models import Payment, PaymentAttempt, PaymentMethod
    from contracts.models import Customer


class GatewayError(Exception):
    """The gateway refused or could not be reached; `message` can be shown to the customer."""

    def __init__(self, message: str, *, code: str = "gateway") -> None:
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class CardDetails:
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class ChargeOutcome:
    """What the gateway said about a charge: `status` is an AttemptStatus value."""

    status: str
    intent_id: str = ""
    client_secret: str = ""  # for the browser to confirm (3-D Secure) when status asks for it
    failure_message: str = ""
    reference: str = ""  # the charge, for the payment record


class PaymentGateway(Protocol):
    takes_cards: bool  # saves cards and charges them, on or off session
    pays_at_bank: bool  # the customer pays on the bank's own 3-D page (NestPay)
    publishable_key: str

    def card_setup_start(self, customer: Customer, purpose: str = "setup") -> str:
        """A client secret for the browser to save a card with; `purpose` tells the pages
        apart (the portal's, or one invoice link's) so neither can finish the other's."""

    def card_setup_finish(
        self, customer: Customer, setup_id: str, purpose: str | None = None
    ) -> CardDetails:
        """The card the browser saved, checked with the gateway (never trusted from the form);
        with `purpose`, only a setup made for it."""

    def card_detach(self, method: PaymentMethod) -> None: ...

    def charge(self, attempt: PaymentAttempt, method: PaymentMethod) -> ChargeOutcome: ...

    def charge_refresh(self, attempt: PaymentAttempt) -> ChargeOutcome:
        """The charge's state now (after the browser's 3-D Secure step)."""

    def charge_cancel(self, attempt: PaymentAttempt) -> ChargeOutcome:
        """Withdraw a charge still waiting for the customer (3-D Secure never finished), so it
        can no longer go through; the state it ends in (succeeded, if it just did)."""

    def refund(self, payment: Payment, amount: Decimal, key: str) -> str:
        """Give money back; returns the gateway's refund id."""


class ManualGateway:
    """Bank transfer: nothing to call; staff record payments in the back office."""

    takes_cards = False
    pays_at_bank = False
    publishable_key = ""

    def _refuse(self, *args, **kwargs):
        raise GatewayError(_("This business takes payment by bank transfer only."), code="manual")

    card_setup_start = card_setup_finish = card_detach = charge = charge_refresh = _refuse
    charge_cancel = refund = _refuse
