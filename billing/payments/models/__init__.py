"""Payments and their allocations, refunds, gateway settings, saved cards, charge attempts,
gateway events and dunning cases."""

from billing.payments.models.dunning import DunningCase, DunningOutcome
from billing.payments.models.gateway import (
    ATTEMPT_TRANSITIONS,
    AttemptStatus,
    DunningFinalAction,
    Gateway,
    GatewayCustomer,
    GatewayEvent,
    PaymentAttempt,
    PaymentMethod,
    PaymentSettings,
)
from billing.payments.models.nestpay import (
    NestPayBank,
    NestPayMode,
    NestPayStoreType,
    bank_endpoints,
)
from billing.payments.models.nestpay_order import NestPayOrder
from billing.payments.models.payment import (
    Payment,
    PaymentAllocation,
    PaymentMethodKind,
    Refund,
    RefundStatus,
)
from billing.payments.models.receipt import Receipt

__all__ = [
    "ATTEMPT_TRANSITIONS",
    "AttemptStatus",
    "DunningCase",
    "DunningFinalAction",
    "DunningOutcome",
    "Gateway",
    "GatewayCustomer",
    "GatewayEvent",
    "NestPayBank",
    "NestPayMode",
    "NestPayOrder",
    "NestPayStoreType",
    "Payment",
    "PaymentAllocation",
    "PaymentAttempt",
    "PaymentMethod",
    "PaymentMethodKind",
    "PaymentSettings",
    "Receipt",
    "Refund",
    "RefundStatus",
    "bank_endpoints",
]
