from billing.models.credit_note import (
    CreditNote,
    CreditNoteLine,
    CustomerCreditEntry,
    InvoiceDelivery,
    Settlement,
)
from billing.models.dunning import DunningCase, DunningOutcome
from billing.models.gateway import (
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
from billing.models.invoice import (
    INVOICE_TRANSITIONS,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
)
from billing.models.numbering import NumberSequence, NumberSeries
from billing.models.payment import (
    Payment,
    PaymentAllocation,
    PaymentMethodKind,
    Refund,
    RefundStatus,
)
from billing.models.reminder import InvoiceReminder, ReminderOutcome
from billing.models.tax import TaxRate

__all__ = [
    "ATTEMPT_TRANSITIONS",
    "INVOICE_TRANSITIONS",
    "AttemptStatus",
    "CreditNote",
    "CreditNoteLine",
    "CustomerCreditEntry",
    "DunningCase",
    "DunningFinalAction",
    "DunningOutcome",
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
    "PaymentMethod",
    "PaymentMethodKind",
    "PaymentSettings",
    "Refund",
    "RefundStatus",
    "ReminderOutcome",
    "Settlement",
    "TaxRate",
]
