"""Stripe through the official library. Only tokens (pm_…, cus_…, pi_…) and what the customer
needs to recognise a card (brand, last four, expiry) ever reach Kontor."""

from __future__ import annotations

from decimal import Decimal

import stripe
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from billing.payments.gateways.base import CardDetails, ChargeOutcome, GatewayError
from billing.payments.models import (
    AttemptStatus,
    Gateway,
    GatewayCustomer,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    PaymentSettings,
)
from contracts.models import Customer
from core.money import to_minor_units

STATUS = {
    "succeeded": AttemptStatus.SUCCEEDED,
    "processing": AttemptStatus.PROCESSING,
    "requires_action": AttemptStatus.REQUIRES_ACTION,
    "requires_confirmation": AttemptStatus.REQUIRES_ACTION,
    "requires_payment_method": AttemptStatus.FAILED,
    "canceled": AttemptStatus.FAILED,
}


def _unreachable(exc: stripe.StripeError) -> GatewayError:
    return GatewayError(
        str(_("The payment service could not be reached; nothing was charged. Try again.")),
        code=getattr(exc, "code", None) or "unreachable",
    )


class StripeGateway:
    takes_cards = True
    pays_at_bank = False

    def __init__(self, config: PaymentSettings) -> None:
        self.tenant_id = config.tenant_id
        self.publishable_key = config.stripe_publishable_key
        options = {"max_network_retries": 2}
        if settings.STRIPE_API_BASE:
            options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
        self.client = stripe.StripeClient(config.stripe_secret_key, **options)

    def _key(self, *parts) -> dict:
        return {"idempotency_key": "-".join(["kontor", str(self.tenant_id), *map(str, parts)])}

    def _customer(self, customer: Customer) -> GatewayCustomer:
        """The customer's Stripe record, created once (under the customer's row lock)."""
        with transaction.atomic():
            Customer.objects.select_for_update().filter(pk=customer.pk).exists()
            known = GatewayCustomer.objects.filter(customer=customer, gateway=Gateway.STRIPE)
            if (found := known.first()) is not None:
                return found
            try:
                created = self.client.v1.customers.create(
                    {
                        "name": customer.billing_company or customer.name,
                        "metadata": {"kontor_customer": customer.number},
                    },
                    self._key("customer", customer.pk),
                )
            except stripe.StripeError as exc:
                raise _unreachable(exc) from exc
            return GatewayCustomer.objects.create(
                tenant_id=self.tenant_id,
                customer=customer,
                gateway=Gateway.STRIPE,
                external_id=created.id,
            )

    def card_setup_start(self, customer: Customer, purpose: str = "setup") -> str:
        account = self._customer(customer)
        try:
            intent = self.client.v1.setup_intents.create(
                {
                    "customer": account.external_id,
                    "usage": "off_session",
                    "payment_method_types": ["card"],
                    "metadata": {"kontor_purpose": purpose},
                },
                self._key("customer", customer.pk, purpose, account.cards_saved + 1),
            )
        except stripe.StripeError as exc:
            raise _unreachable(exc) from exc
        return intent.client_secret

    def card_setup_finish(
        self, customer: Customer, setup_id: str, purpose: str | None = None
    ) -> CardDetails:
        account = self._customer(customer)
        try:
            intent = self.client.v1.setup_intents.retrieve(setup_id)
        except stripe.InvalidRequestError as exc:
            raise GatewayError(str(_("That card setup is unknown.")), code="unknown") from exc
        except stripe.StripeError as exc:
            raise _unreachable(exc) from exc
        metadata = getattr(intent, "metadata", None)
        made_for = metadata.to_dict().get("kontor_purpose") if metadata else None
        if purpose is not None and made_for != purpose:
            raise GatewayError(str(_("That card setup is unknown.")), code="unknown")
        if intent.customer != account.external_id or intent.status != "succeeded":
            raise GatewayError(str(_("The card was not confirmed.")), code="not_confirmed")
        try:
            method = self.client.v1.payment_methods.retrieve(intent.payment_method)
            if not method.customer:  # Stripe attaches it with the setup; make sure
                method = self.client.v1.payment_methods.attach(
                    method.id, {"customer": account.external_id}, self._key("attach", method.id)
                )
        except stripe.CardError as exc:
            raise GatewayError(exc.user_message or str(exc), code="declined") from exc
        except stripe.StripeError as exc:
            raise _unreachable(exc) from exc
        card = method.card
        return CardDetails(method.id, card.brand, card.last4, card.exp_month, card.exp_year)

    def card_detach(self, method: PaymentMethod) -> None:
        try:
            self.client.v1.payment_methods.detach(
                method.token, None, self._key("detach", method.token)
            )
        except stripe.InvalidRequestError:
            pass  # already gone at Stripe (detached there, or a test card wiped): fine
        except stripe.StripeError as exc:
            raise _unreachable(exc) from exc

    def charge(self, attempt: PaymentAttempt, method: PaymentMethod) -> ChargeOutcome:
        account = self._customer(attempt.customer)
        params = {
            "amount": to_minor_units(attempt.amount, attempt.currency),
            "currency": attempt.currency.lower(),
            "customer": account.external_id,
            "payment_method": method.token,
            "confirm": True,
            "off_session": attempt.off_session,
            "metadata": {
                "kontor_tenant": str(self.tenant_id),
                "kontor_invoice": str(attempt.invoice_id),
                "kontor_invoice_number": attempt.invoice.number,
                "kontor_attempt": str(attempt.number),
            },
        }
        try:
            intent = self.client.v1.payment_intents.create(
                params, {"idempotency_key": attempt.idempotency_key}
            )
        except stripe.CardError as exc:
            pending = getattr(exc.error, "payment_intent", None)
            return ChargeOutcome(
                AttemptStatus.FAILED,
                intent_id=getattr(pending, "id", "") or "",
                failure_message=exc.user_message or str(_("The card was declined.")),
            )
        except (
            stripe.InvalidRequestError,
            stripe.AuthenticationError,
            stripe.PermissionError,
        ) as e:
            # Refused outright (a card gone, an amount too small, bad keys): nothing was charged.
            return ChargeOutcome(
                AttemptStatus.FAILED,
                failure_message=e.user_message or str(_("The card could not be charged.")),
            )
        except stripe.StripeError as exc:
            raise _unreachable(exc) from exc  # no answer: whether it charged is unknown
        return self._outcome(intent)

    def charge_refresh(self, attempt: PaymentAttempt) -> ChargeOutcome:
        try:
            intent = self.client.v1.payment_intents.retrieve(attempt.intent_id)
        except stripe.StripeError as exc:
            raise _unreachable(exc) from exc
        return self._outcome(intent)

    def charge_cancel(self, attempt: PaymentAttempt) -> ChargeOutcome:
        try:
            intent = self.client.v1.payment_intents.cancel(attempt.intent_id)
        except stripe.InvalidRequestError:
            # Not cancelable any more: it succeeded (or failed) meanwhile. Say which.
            return self.charge_refresh(attempt)
        except stripe.StripeError as exc:
            raise _unreachable(exc) from exc
        return self._outcome(intent)

    def _outcome(self, intent) -> ChargeOutcome:
        status = STATUS.get(intent.status, AttemptStatus.PROCESSING)
        error = getattr(intent, "last_payment_error", None)
        charge = getattr(intent, "latest_charge", None)
        return ChargeOutcome(
            status,
            intent_id=intent.id,
            client_secret=intent.client_secret if status == AttemptStatus.REQUIRES_ACTION else "",
            failure_message=(getattr(error, "message", "") or "") if error else "",
            reference=getattr(charge, "id", charge) or intent.id,
        )

    def refund(self, payment: Payment, amount: Decimal, key: str) -> str:
        try:
            refund = self.client.v1.refunds.create(
                {
                    "payment_intent": payment.attempt.intent_id,
                    "amount": to_minor_units(amount, payment.currency),
                },
                {"idempotency_key": key},
            )
        except stripe.StripeError as exc:
            raise _unreachable(exc) from exc
        return refund.id
