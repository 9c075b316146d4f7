from subscriptions.models.catalogue import Module, Option, Tariff, TariffPrice
from subscriptions.models.order import DeliveryStage, Order, OrderKind, StageTemplate
from subscriptions.models.subscription import (
    SUBSCRIPTION_TRANSITIONS,
    PendingCharge,
    Subscription,
    SubscriptionEvent,
    SubscriptionOption,
    SubscriptionStatus,
)

__all__ = [
    "SUBSCRIPTION_TRANSITIONS",
    "DeliveryStage",
    "Module",
    "Option",
    "Order",
    "OrderKind",
    "PendingCharge",
    "StageTemplate",
    "Subscription",
    "SubscriptionEvent",
    "SubscriptionOption",
    "SubscriptionStatus",
    "Tariff",
    "TariffPrice",
]
