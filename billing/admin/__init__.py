"""Billing's back office: invoices (with their actions), credit notes, tax rates and the
billing additions to the customer page."""

from billing.admin import customers, documents, invoices, payments

__all__ = ["customers", "documents", "invoices", "payments"]
