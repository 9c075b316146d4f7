"""Billing's back office, composed from its sub-packages: invoices (documents' actions and
credit notes, payments' actions, collections' reminders), credit notes and tax rates, payment
settings and cards, payment links, and the billing additions to the customer page."""

from billing.admin import customers, invoices
from billing.documents.admin import documents
from billing.ordering import admin as ordering
from billing.payments import admin as payments

__all__ = ["customers", "documents", "invoices", "ordering", "payments"]
