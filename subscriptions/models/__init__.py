from subscriptions.models.catalogue import Module, Option, Tariff, TariffPrice
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
    "Module",
    "Option",
    "PendingCharge",
    "Subscription",
    "SubscriptionEvent",
    "SubscriptionOption",
    "SubscriptionStatus",
    "Tariff",
    "TariffPrice",
]
