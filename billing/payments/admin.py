"""Back office for taking money: the business's payment settings (Owner; Stripe keys are write-
only), customers' saved cards (added on a customer's behalf through Stripe.js, audited) and the
charge attempts."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from billing.payments.admin_exports import PaymentExportResource
from billing.payments.gateways import GatewayError
from billing.payments.models import (
    DunningCase,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    PaymentSettings,
    Receipt,
    Refund,
    RefundStatus,
)
from billing.payments.refunds import refund_paid_by_hand, refund_send
from billing.payments.services import card_setup_start, payment_method_remove, payment_method_save
from billing.payments.settings_form import PaymentSettingsForm
from contracts.models import Customer
from core.admin_base import ReadOnlyAdmin, TenantScopedAdmin
from core.admin_impex import TenantExportMixin


@admin.register(PaymentSettings)
class PaymentSettingsAdmin(TenantScopedAdmin):
    view_action = "tenant.view"
    add_action = change_action = "payment_settings.change"
    audit_name = "payment_settings"
    form = PaymentSettingsForm
    list_display = ["__str__", "gateway", "partial_payments_allowed", "final_action"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        exists = PaymentSettings.objects.filter(tenant=request.tenant).exists()
        return not exists and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(PaymentMethod)
class PaymentMethodAdmin(TenantScopedAdmin):
    """Cards are added through Stripe.js (from the customer's page here, or by the customer)
    and removed through the gateway; nothing else about them is edited."""

    view_action = "customer.view"
    delete_action = "payment_methods.manage"
    list_display = ["__str__", "customer", "is_default", "added_by", "created_at"]
    list_select_related = ["customer", "added_by", "tenant"]
    search_fields = ["customer__name", "customer__number", "last4"]
    fields = readonly_fields = [
        "customer",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
        "is_default",
        "added_by",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: PaymentMethod) -> None:
        payment_method_remove(method=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for method in queryset:
            payment_method_remove(method=method, actor=request.user)

    def get_urls(self):
        view = self.admin_site.admin_view(self.add_for_customer_view)
        return [
            path("add-for/<int:customer_id>/", view, name="billing_paymentmethod_add_for"),
            *super().get_urls(),
        ]

    def add_for_customer_view(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        """Staff save a card the customer gave them (by phone, on paper) through Stripe.js."""
        if not self._may(request, "payment_methods.manage"):
            raise PermissionDenied
        customer = get_object_or_404(Customer, pk=customer_id, tenant=request.tenant)
        back = reverse("admin:contracts_customer_change", args=[customer.pk])
        try:
            if request.method == "POST":
                method = payment_method_save(
                    customer=customer,
                    setup_id=request.POST.get("setup_intent", "")[:255],
                    actor=request.user,
                )
                messages.success(
                    request,
                    _("%(card)s is saved for %(customer)s.")
                    % {"card": method, "customer": customer},
                )
                return redirect(back)
            publishable_key, client_secret = card_setup_start(customer=customer, actor=request.user)
        except GatewayError as exc:
            messages.error(request, exc.message)
            return redirect(back)
        return TemplateResponse(
            request,
            "admin/billing/paymentmethod/add_for_customer.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Add a card for %(customer)s") % {"customer": customer},
                "customer": customer,
                "stripe_js": settings.STRIPE_JS_URL,
                "publishable_key": publishable_key,
                "client_secret": client_secret,
                "next": back,
                "opts": self.model._meta,
            },
        )


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(ReadOnlyAdmin, TenantScopedAdmin):
    """Every try at charging a card, with the gateway's answer (a NestPay bank's in full:
    the order id, installments, 3-D status, its codes and message, which only staff see)."""

    view_action = "invoices.view"
    list_display = ["invoice", "number", "amount", "status", "off_session", "created_at"]
    list_filter = ["status", "off_session"]
    list_select_related = ["invoice", "tenant", "nestpay_order"]
    search_fields = ["invoice__number", "intent_id"]
    fields = [
        "invoice",
        "number",
        "payment_method",
        "amount",
        "currency",
        "off_session",
        "status",
        "failure_message",
        "intent_id",
        "bank_answer",
        "payment",
        "created_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("bank's answer"))
    def bank_answer(self, obj: PaymentAttempt) -> str:
        order = getattr(obj, "nestpay_order", None)
        if order is None:
            return "–"
        parts = [
            (_("order"), order.oid),
            (_("installments"), order.installments or _("one payment")),
            (_("card"), order.masked_pan),
            ("mdStatus", order.md_status),
            ("ProcReturnCode", order.proc_return_code),
            ("Response", order.response),
            ("TransId", order.trans_id),
            ("AuthCode", order.auth_code),
            ("ErrMsg", order.err_msg),
            (_("answered by"), order.answered_by),
        ]
        return " · ".join(f"{label}: {value}" for label, value in parts if value)


@admin.register(DunningCase)
class DunningCaseAdmin(ReadOnlyAdmin, TenantScopedAdmin):
    """Failed renewal charges being chased (and how each ended); run by the hourly job."""

    view_action = "invoices.view"
    list_display = ["invoice", "started_on", "retries_done", "next_retry_on", "outcome"]
    list_filter = ["outcome"]
    list_select_related = ["invoice", "tenant"]
    search_fields = ["invoice__number", "invoice__customer__name"]
    fields = readonly_fields = [
        "invoice",
        "started_on",
        "retries_done",
        "next_retry_on",
        "closed_on",
        "outcome",
        "final_action",
    ]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin, TenantScopedAdmin):
    """Money given back, per credit note; a failed one can be tried again (never paid twice), or
    marked as paid back by hand (then never sent again)."""

    view_action = "invoices.view"
    list_display = ["credit_note", "payment", "amount", "status", "failure_message", "created_at"]
    list_filter = ["status"]
    list_select_related = ["credit_note", "payment", "tenant"]
    search_fields = ["credit_note__number", "gateway_refund_id"]
    actions = ["retry", "paid_by_hand"]
    fields = readonly_fields = [
        "credit_note",
        "payment",
        "amount",
        "currency",
        "status",
        "gateway_refund_id",
        "failure_message",
        "created_at",
    ]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "payments.refund")

    @admin.action(description=_("Try the selected failed refunds again"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset) -> None:
        for refund in queryset.filter(status=RefundStatus.FAILED):
            done = refund_send(refund.pk)
            messages.info(request, f"{done.credit_note}: {done.get_status_display()}")

    @admin.action(
        description=_("Mark the selected failed refunds as paid back by hand"),
        permissions=["retry"],
    )
    def paid_by_hand(self, request: HttpRequest, queryset) -> None:
        for refund in queryset.filter(status=RefundStatus.FAILED):
            done = refund_paid_by_hand(refund=refund, actor=request.user)
            messages.info(request, f"{done.credit_note}: {done.get_status_display()}")


@admin.register(Payment)
class PaymentAdmin(TenantExportMixin, ReadOnlyAdmin, TenantScopedAdmin):
    """Money received, as recorded (payment_record, the gateways): listed, filtered and
    exported; never edited here (a refund goes through a credit note)."""

    view_action = "invoices.view"
    export_resource_classes = [PaymentExportResource]
    list_display = ["received_on", "customer", "amount_shown", "method", "reference", "invoices"]
    list_filter = ["method", "received_on"]
    list_select_related = ["customer", "tenant", "receipt"]
    search_fields = ["customer__name", "customer__number", "reference"]
    date_hierarchy = "received_on"
    fields = readonly_fields = [
        "customer",
        "amount",
        "currency",
        "received_on",
        "method",
        "reference",
        "disputed_at",
        "created_at",
    ]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("allocations__invoice")

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, payment: Payment) -> str:
        return f"{payment.amount} {payment.currency}"

    @admin.display(description=_("invoices"))
    def invoices(self, payment: Payment) -> str:
        return ", ".join(a.invoice.number for a in payment.allocations.all())


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin, TenantScopedAdmin):
    """Receipts as issued with their payments: numbered, dated, never changed."""

    view_action = "invoices.view"
    list_display = ["number", "issue_date", "customer", "amount", "received_on", "pdf_stored"]
    list_select_related = ["payment", "payment__customer", "tenant"]
    search_fields = ["number", "payment__customer__name", "payment__reference"]
    date_hierarchy = "issue_date"
    fields = readonly_fields = [
        "number",
        "issue_date",
        "payment",
        "customer",
        "amount",
        "received_on",
        "pdf_sha256",
        "created_at",
    ]

    @admin.display(description=_("customer"))
    def customer(self, receipt: Receipt):
        return receipt.payment.customer

    @admin.display(description=_("amount"))
    def amount(self, receipt: Receipt) -> str:
        return f"{receipt.payment.amount} {receipt.payment.currency}"

    @admin.display(description=_("received on"))
    def received_on(self, receipt: Receipt):
        return receipt.payment.received_on

    @admin.display(description=_("PDF stored"), boolean=True)
    def pdf_stored(self, receipt: Receipt) -> bool:
        return bool(receipt.pdf)
