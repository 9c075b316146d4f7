"""Payment gateways, chosen per business (`PaymentSettings.gateway`): the interface and the
bank-transfer gateway in `base`, Stripe in `stripe_gateway`, NestPay in `nestpay_gateway`."""

from __future__ import annotations

from billing.payments.gateways.base import (
    CardDetails,
    ChargeOutcome,
    GatewayError,
    ManualGateway,
    PaymentGateway,
)
from billing.payments.gateways.nestpay_gateway import NestPayGateway
from billing.payments.gateways.stripe_gateway import StripeGateway
from billing.payments.models import Gateway, PaymentSettings
from billing.payments.selectors import nestpay_config
from core.models import Tenant

__all__ = [
    "CardDetails",
    "ChargeOutcome",
    "GatewayError",
    "ManualGateway",
    "NestPayGateway",
    "PaymentGateway",
    "gateway_for",
]


def gateway_for(tenant: Tenant) -> PaymentGateway:
    settings = PaymentSettings.objects.filter(tenant=tenant).first()
    if settings is not None and settings.gateway == Gateway.STRIPE and settings.takes_cards:
        return StripeGateway(settings)
    if settings is not None and settings.gateway == Gateway.NESTPAY:
        config = nestpay_config(tenant=tenant)
        if config is not None and config.client_id and config.store_key:
            return NestPayGateway(config)
    return ManualGateway()
