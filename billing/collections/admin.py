"""The back office of collections: the reminders shown on an invoice's page."""

from __future__ import annotations

from billing.collections.models import InvoiceReminder
from core.admin_base import ReadOnlyAdmin, TenantScopedInline


class InvoiceReminderInline(ReadOnlyAdmin, TenantScopedInline):
    """Which payment reminders went out (or were passed over); written by the reminder job."""

    model = InvoiceReminder
    fields = readonly_fields = ["offset_days", "outcome", "created_at"]
    extra = 0
    view_action = "invoices.view"
    add_action = change_action = delete_action = "invoices.manage"
