"""Back office for credit notes (read-only once issued), tax rates and exchange rates."""

from __future__ import annotations

from django.contrib import admin

from billing.documents.admin.downloads import DocumentDownloads
from billing.documents.admin.parties import PartiesShown
from billing.documents.models import CreditNote, CreditNoteLine, ExchangeRate, TaxRate
from core.admin_base import ReadOnlyAdmin, TenantScopedAdmin, TenantScopedInline


@admin.register(TaxRate)
class TaxRateAdmin(TenantScopedAdmin):
    view_action = "invoices.view"
    add_action = change_action = delete_action = "tenant.change"
    audit_name = "tax_rate"
    list_display = ["name", "rate", "is_default"]
    fields = ["tenant", "name", "rate", "is_default"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(TenantScopedAdmin):
    """Rates the business enters (e.g. the ECB's reference rates) for invoices in other
    currencies: their VAT is also stated in the business's own currency."""

    view_action = "invoices.view"
    add_action = change_action = delete_action = "tenant.change"
    audit_name = "exchange_rate"
    list_display = ["currency", "day", "rate"]
    list_filter = ["currency"]
    date_hierarchy = "day"
    fields = ["tenant", "currency", "day", "rate"]


class CreditNoteLineInline(TenantScopedInline):
    model = CreditNoteLine
    fields = ["description", "quantity", "unit_price", "tax_rate", "net_amount", "gross_amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    view_action = "invoices.view"


@admin.register(CreditNote)
class CreditNoteAdmin(DocumentDownloads, ReadOnlyAdmin, PartiesShown, TenantScopedAdmin):
    """Issued from an invoice (action there, or the services); never edited afterwards."""

    view_action = "invoices.view"
    list_display = ["number", "customer", "invoice", "issue_date", "gross_amount", "settlement"]
    list_filter = ["settlement"]
    list_select_related = ["customer", "invoice", "tenant"]
    search_fields = ["number", "customer__name", "invoice__number"]
    inlines = [CreditNoteLineInline]
    readonly_fields = [
        "customer",
        "invoice",
        "number",
        "issue_date",
        "currency",
        "reason",
        "settlement",
        "net_amount",
        "tax_amount",
        "gross_amount",
        "seller_identity",
        "buyer_identity",
    ]
    fields = readonly_fields
