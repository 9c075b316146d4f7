"""The invoice list as a file (CSV or XLSX): one row per invoice, amounts as plain decimals
beside their currency, dates in ISO 8601, headed in the staff member's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from billing.documents.models import Invoice, InvoiceStatus
from core.admin_impex import IsoDateWidget, PlainDecimalWidget, TranslatedHeadersMixin


def _money(attribute: str, heading) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=heading, widget=PlainDecimalWidget())


def _date(attribute: str, heading) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=heading, widget=IsoDateWidget())


class InvoiceExportResource(TranslatedHeadersMixin, resources.ModelResource):
    number = fields.Field(attribute="number", column_name=_("number"))
    customer_number = fields.Field(attribute="customer__number", column_name=_("customer number"))
    customer = fields.Field(attribute="customer__name", column_name=_("customer"))
    status = fields.Field(column_name=_("status"))
    issue_date = _date("issue_date", _("issue date"))
    due_date = _date("due_date", _("due date"))
    currency = fields.Field(attribute="currency", column_name=_("currency"))
    net_amount = _money("net_amount", _("net"))
    tax_amount = _money("tax_amount", _("tax"))
    gross_amount = _money("gross_amount", _("total"))
    amount_paid = _money("amount_paid", _("paid"))
    amount_credited = _money("amount_credited", _("credited"))
    is_test = fields.Field(column_name=_("test account"))

    class Meta:
        model = Invoice
        fields = [
            "number",
            "customer_number",
            "customer",
            "status",
            "issue_date",
            "due_date",
            "currency",
            "net_amount",
            "tax_amount",
            "gross_amount",
            "amount_paid",
            "amount_credited",
            "is_test",
        ]
        export_order = fields

    def dehydrate_status(self, invoice: Invoice) -> str:
        return str(InvoiceStatus(invoice.status).label)

    def dehydrate_is_test(self, invoice: Invoice) -> str:
        return "1" if invoice.is_test else "0"
