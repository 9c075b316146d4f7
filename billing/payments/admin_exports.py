"""The payment list as a file (CSV or XLSX): one row per payment received, the amount as a
plain decimal beside its currency, dates in ISO 8601, with the invoices it settled."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from billing.payments.models import Payment, PaymentMethodKind
from core.admin_impex import IsoDateWidget, PlainDecimalWidget, TranslatedHeadersMixin


class PaymentExportResource(TranslatedHeadersMixin, resources.ModelResource):
    received_on = fields.Field(
        attribute="received_on", column_name=_("received on"), widget=IsoDateWidget()
    )
    customer_number = fields.Field(attribute="customer__number", column_name=_("customer number"))
    customer = fields.Field(attribute="customer__name", column_name=_("customer"))
    amount = fields.Field(attribute="amount", column_name=_("amount"), widget=PlainDecimalWidget())
    currency = fields.Field(attribute="currency", column_name=_("currency"))
    method = fields.Field(column_name=_("method"))
    reference = fields.Field(attribute="reference", column_name=_("reference"))
    receipt = fields.Field(column_name=_("receipt"))
    invoices = fields.Field(column_name=_("invoices"))

    class Meta:
        model = Payment
        fields = [
            "received_on",
            "customer_number",
            "customer",
            "amount",
            "currency",
            "method",
            "reference",
            "receipt",
            "invoices",
        ]
        export_order = fields

    def dehydrate_method(self, payment: Payment) -> str:
        return str(PaymentMethodKind(payment.method).label)

    def dehydrate_receipt(self, payment: Payment) -> str:
        try:
            return payment.receipt.number
        except ObjectDoesNotExist:
            return ""

    def dehydrate_invoices(self, payment: Payment) -> str:
        # Prefetched by the list (PaymentAdmin.get_queryset): no query per payment.
        return ", ".join(a.invoice.number for a in payment.allocations.all())
