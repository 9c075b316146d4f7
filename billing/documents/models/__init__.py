"""Invoices and their lines, credit notes and customer credit, number sequences, tax rates."""

from billing.documents.models.credit_note import (
    CreditNote,
    CreditNoteLine,
    CustomerCreditEntry,
    InvoiceDelivery,
    Settlement,
)
from billing.documents.models.exchange import ExchangeRate
from billing.documents.models.invoice import (
    INVOICE_TRANSITIONS,
    PAYABLE,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceStatus,
)
from billing.documents.models.numbering import NumberSequence, NumberSeries
from billing.documents.models.tax import TaxRate

__all__ = [
    "INVOICE_TRANSITIONS",
    "PAYABLE",
    "CreditNote",
    "CreditNoteLine",
    "CustomerCreditEntry",
    "ExchangeRate",
    "Invoice",
    "InvoiceDelivery",
    "InvoiceEvent",
    "InvoiceLine",
    "InvoiceStatus",
    "NumberSequence",
    "NumberSeries",
    "Settlement",
    "TaxRate",
]
