"""Payment gateways, chosen per business (`PaymentSettings.gateway`): the interface and the
bank-transfer gateway in `base`, Stripe in `stripe_gateway`."""

from __future__ import annotations

from billing.payments.gateways.base import (
    CardDetails,
    ChargeOutcome,
    GatewayError,
    ManualGateway,
    PaymentGateway,
)
from billing.payments.gateways.stripe_gateway import StripeGateway
from billing.payments.models import Gateway, PaymentSettings
from core.models import Tenant

__all__ = [
    "CardDetails",
    "ChargeOutcome",
    "GatewayError",
    "ManualGateway",
    "PaymentGateway",
    "gateway_for",
]


def gateway_for(tenant: Tenant) -> PaymentGateway:
    settings = PaymentSettings.objects.filter(tenant=tenant).first()
    if settings is not None and settings.gateway == Gateway.STRIPE and settings.takes_cards:
        return StripeGateway(settings)
    return ManualGateway()
