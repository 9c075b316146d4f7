"""Billing's back office, composed from its sub-packages: invoices (documents' actions and
credit notes, payments' actions, collections' reminders), credit notes and tax rates, payment
settings and cards, payment links, the billing additions to the customer page, and the
dashboard on the home page (insights)."""

from billing.admin import customers, invoices
from billing.documents.admin import documents
from billing.insights import admin as insights
from billing.ordering import admin as ordering
from billing.payments import admin as payments

__all__ = ["customers", "documents", "insights", "invoices", "ordering", "payments"]
