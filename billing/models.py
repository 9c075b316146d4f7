"""Where Django finds billing's models: each sub-package keeps its own, this module gathers them.

Code inside billing imports models from its own sub-package (`billing.documents.models`, …), never
from here (an import-linter contract says so): this module reaches every sub-package, so going
through it would hide which floor a module stands on. Other apps and tests may import from here.
"""

from billing.collections.models import InvoiceReminder, ReminderOutcome
from billing.documents.models import (
    INVOICE_TRANSITIONS,
    PAYABLE,
    CreditNote,
    CreditNoteLine,
    CustomerCreditEntry,
    ExchangeRate,
    Invoice,
    InvoiceDelivery,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
    NumberSequence,
    NumberSeries,
    Settlement,
    TaxRate,
)
from billing.ordering.models import Checkout, CheckoutStatus, PaymentLink
from billing.payments.models import (
    ATTEMPT_TRANSITIONS,
    AttemptStatus,
    DunningCase,
    DunningFinalAction,
    DunningOutcome,
    Gateway,
    GatewayCustomer,
    GatewayEvent,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentMethod,
    PaymentMethodKind,
    PaymentSettings,
    Refund,
    RefundStatus,
)

__all__ = [
    "ATTEMPT_TRANSITIONS",
    "INVOICE_TRANSITIONS",
    "PAYABLE",
    "AttemptStatus",
    "Checkout",
    "CheckoutStatus",
    "CreditNote",
    "CreditNoteLine",
    "CustomerCreditEntry",
    "DunningCase",
    "DunningFinalAction",
    "DunningOutcome",
    "ExchangeRate",
    "Gateway",
    "GatewayCustomer",
    "GatewayEvent",
    "Invoice",
    "InvoiceDelivery",
    "InvoiceEvent",
    "InvoiceLine",
    "InvoiceReminder",
    "InvoiceStatus",
    "NumberSequence",
    "NumberSeries",
    "Payment",
    "PaymentAllocation",
    "PaymentAttempt",
    "PaymentLink",
    "PaymentMethod",
    "PaymentMethodKind",
    "PaymentSettings",
    "Refund",
    "RefundStatus",
    "ReminderOutcome",
    "Settlement",
    "TaxRate",
]
