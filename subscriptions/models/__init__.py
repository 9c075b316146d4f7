from subscriptions.models.catalogue import Module, Option, Tariff, TariffPrice
from subscriptions.models.credits import (
    CREDITS_MAX,
    CreditAccount,
    CreditLedgerEntry,
    LedgerKind,
    Package,
    PackageKind,
)
from subscriptions.models.departments import (
    AccessSource,
    Department,
    DepartmentAccess,
    RequestKind,
    UsageRecord,
)
from subscriptions.models.discounts import DiscountCode, DiscountKind
from subscriptions.models.fields import FieldEditor, FieldKind, ModuleField
from subscriptions.models.order import DeliveryStage, Order, OrderKind, StageTemplate
from subscriptions.models.purchases import PackagePurchase, PurchaseState
from subscriptions.models.subscription import (
    SUBSCRIPTION_TRANSITIONS,
    CancellationRequest,
    CancellationRequestStatus,
    PendingCharge,
    Subscription,
    SubscriptionEvent,
    SubscriptionOption,
    SubscriptionStatus,
    price_item,
    price_item_text,
)

__all__ = [
    "CREDITS_MAX",
    "SUBSCRIPTION_TRANSITIONS",
    "AccessSource",
    "CancellationRequest",
    "CancellationRequestStatus",
    "CreditAccount",
    "CreditLedgerEntry",
    "DeliveryStage",
    "Department",
    "DepartmentAccess",
    "DiscountCode",
    "DiscountKind",
    "FieldEditor",
    "FieldKind",
    "LedgerKind",
    "Module",
    "ModuleField",
    "Option",
    "Order",
    "OrderKind",
    "Package",
    "PackageKind",
    "PackagePurchase",
    "PendingCharge",
    "PurchaseState",
    "RequestKind",
    "StageTemplate",
    "Subscription",
    "SubscriptionEvent",
    "SubscriptionOption",
    "SubscriptionStatus",
    "Tariff",
    "TariffPrice",
    "UsageRecord",
    "price_item",
    "price_item_text",
]
