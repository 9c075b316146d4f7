"""Billing's back office, composed from its sub-packages: invoices (documents' actions and
credit notes, payments' actions, collections' reminders), credit notes and tax rates, payment
settings and cards, and the billing additions to the customer page."""

from billing.admin import customers, invoices
from billing.documents.admin import documents
from billing.payments import admin as payments

__all__ = ["customers", "documents", "invoices", "payments"]
