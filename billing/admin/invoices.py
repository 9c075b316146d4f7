"""Back office for invoices: drafts are edited line by line (Billing and up) and finalized by
an action; a finalized invoice is read-only (voiding: Manager and up). Writes go through the
services, so numbering, snapshots and audit are the same as for the billing run."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from billing.admin.orders import order_links
from billing.collections.admin import InvoiceReminderInline
from billing.documents.admin.downloads import DocumentDownloads
from billing.documents.admin.exports import InvoiceExportResource
from billing.documents.admin.invoice_actions import InvoiceActions
from billing.documents.admin.parties import PartiesShown
from billing.documents.credit_notes import CREDITABLE, credit_note_issue, creditable_quantity
from billing.documents.forms import CreditNoteForm
from billing.documents.models import PAYABLE, Invoice, InvoiceLine, InvoiceStatus, Settlement
from billing.documents.selectors import invoice_orders
from billing.documents.services import (
    invoice_create_draft,
    invoice_delete_draft,
    invoice_lines_save,
    locked_draft,
)
from billing.payments.admin_actions import InvoicePaymentActions
from billing.payments.forms import PaymentForm
from billing.payments.refunds import credit_note_refund
from billing.payments.services import invoice_mark_paid
from billing.run.services import billing_run_job_start
from contracts.models import vat_regime_label
from core.admin_base import CreatedByServiceAdmin, TenantScopedInline
from core.admin_impex import TenantExportMixin
from subscriptions.periods import local_today


class InvoiceLineInline(TenantScopedInline):
    model = InvoiceLine
    fields = [
        "description",
        "quantity",
        "unit_price",
        "tax_rate",
        "service_start",
        "service_end",
        "net_amount",
        "gross_amount",
    ]
    readonly_fields = ["net_amount", "gross_amount"]
    extra = 0
    view_action = "invoices.view"
    add_action = change_action = delete_action = "invoices.manage"

    def _is_draft(self, obj) -> bool:
        return obj is not None and obj.status == InvoiceStatus.DRAFT

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._is_draft(obj) and super().has_delete_permission(request, obj)


class InvoiceAddForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["customer", "currency"]


# Registered on the top floor (portal/admin.py), with what higher apps add.
class InvoiceAdmin(
    TenantExportMixin,
    DocumentDownloads,
    InvoiceActions,
    InvoicePaymentActions,
    PartiesShown,
    CreatedByServiceAdmin,
):
    view_action = "invoices.view"
    export_resource_classes = [InvoiceExportResource]
    add_action = change_action = "invoices.manage"
    audit_name = "invoice"
    list_display = [
        "__str__",
        "customer",
        "status",
        "issue_date",
        "due_date",
        "gross_amount",
        "amount_paid",
        "is_test",
    ]
    list_filter = ["status", "is_test"]
    list_select_related = ["customer", "tenant"]
    search_fields = ["number", "customer__name", "customer__number"]
    autocomplete_fields = ["customer"]
    inlines = [InvoiceLineInline, InvoiceReminderInline]
    actions = [
        "finalize",
        "finalize_as_sent",
        "email",
        "mark_sent",
        "mark_paid",
        "credit_in_full",
        "refund_in_full",
        "mark_uncollectible",
        "void",
        "render_pdfs",
    ]
    readonly_fields = [
        "customer",
        "status",
        "number",
        "currency",
        "issue_date",
        "due_date",
        "net_amount",
        "tax_amount",
        "gross_amount",
        "amount_paid",
        "vat_regime_shown",
        "seller_identity",
        "buyer_identity",
        "is_test",
        "finalized_at",
        "paid_at",
        "orders_shown",
    ]

    exclude = ["seller", "buyer"]  # shown by PartiesShown, never as editable JSON

    change_list_template = "admin/billing/invoice/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.payment_view)
        credit = self.admin_site.admin_view(self.credit_note_view)
        run = self.admin_site.admin_view(self.billing_run_view)
        return [
            path("billing-run/", run, name="billing_invoice_billing_run"),
            path("<int:object_id>/payment/", view, name="billing_invoice_payment"),
            path("<int:object_id>/credit-note/", credit, name="billing_invoice_credit_note"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        invoice = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if invoice and self.has_finalize_permission(request):
            if invoice.status in PAYABLE:
                extra_context["payment_url"] = reverse(
                    "admin:billing_invoice_payment", args=[invoice.pk]
                )
            if invoice.status in CREDITABLE:
                extra_context["credit_note_url"] = reverse(
                    "admin:billing_invoice_credit_note", args=[invoice.pk]
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["may_run_billing"] = request.tenant is not None and (
            self.has_finalize_permission(request)
        )
        return super().changelist_view(request, extra_context)

    def billing_run_view(self, request: HttpRequest) -> HttpResponse:
        """Run the business's billing now (what the hourly run would do today), as a job with
        a progress bar."""
        if request.method != "POST":
            return redirect("admin:billing_invoice_changelist")
        if request.tenant is None or not self.has_finalize_permission(request):
            raise PermissionDenied
        job = billing_run_job_start(
            tenant=request.tenant,
            actor=request.user,
            language=get_language() or "",
            back_url=reverse("admin:billing_invoice_changelist"),
        )
        return redirect("admin:job", job.pk)

    def credit_note_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Credit some lines, or part of them; the services check what is still creditable."""
        invoice = self.get_object(request, str(object_id))
        if invoice is None or invoice.status not in CREDITABLE:
            raise Http404
        if not self.has_finalize_permission(request):
            raise PermissionDenied
        lines = [
            (line, quantity)
            for line in invoice.lines.all().order_by("position", "id")
            if (quantity := creditable_quantity(line)) > 0
        ]
        form = CreditNoteForm(request.POST or None, lines=lines)
        if request.method == "POST" and form.is_valid():
            try:
                refund = form.cleaned_data["settlement"] == Settlement.REFUND
                issue = credit_note_refund if refund else credit_note_issue
                note = issue(
                    invoice=invoice,
                    actor=request.user,
                    today=local_today(timezone.now(), invoice.tenant.timezone),
                    reason=form.cleaned_data["reason"],
                    quantities=form.quantities(),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except PermissionDenied:
                form.add_error("settlement", _("Refunds are given by a Manager or the owner."))
            else:
                messages.success(
                    request, _("Credit note %(number)s issued.") % {"number": note.number}
                )
                return redirect("admin:billing_invoice_change", invoice.pk)
        return self._invoice_form_page(
            request, invoice, form, _("Issue a credit note"), _("Issue the credit note")
        )

    def _invoice_form_page(self, request, invoice, form, title, submit) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": invoice,
            "invoice": invoice,
            "form": form,
            "title": title,
            "submit": submit,
        }
        return TemplateResponse(request, "admin/billing/invoice/form_page.html", context)

    def payment_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Record a payment of any part of what is due (the services check the amount)."""
        invoice = self.get_object(request, str(object_id))
        if invoice is None or invoice.status not in PAYABLE:
            raise Http404
        if not self.has_finalize_permission(request):
            raise PermissionDenied
        form = PaymentForm(
            request.POST or None,
            initial={
                "amount": invoice.amount_due,
                "received_on": local_today(timezone.now(), invoice.tenant.timezone),
                "reference": invoice.number,
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                invoice_mark_paid(invoice=invoice, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error("amount", exc)
            else:
                messages.success(request, _("Payment recorded."))
                return redirect("admin:billing_invoice_change", invoice.pk)
        return self._invoice_form_page(
            request, invoice, form, _("Record a payment"), _("Record the payment")
        )

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = InvoiceAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        return ["customer", "currency"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.readonly_fields if obj is not None else []

    @admin.display(description=_("Orders"))
    def orders_shown(self, invoice: Invoice) -> str:
        return order_links(invoice_orders(invoice=invoice))

    @admin.display(description=_("VAT regime"))
    def vat_regime_shown(self, invoice: Invoice) -> str:
        return vat_regime_label(invoice.vat_regime) if invoice.vat_regime else "—"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        """A finalized invoice is read-only: its page offers payments and credit notes."""
        if obj is not None and obj.status != InvoiceStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return (
            obj is not None
            and obj.status == InvoiceStatus.DRAFT
            and self._may(request, "invoices.manage")
        )

    def has_void_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "invoices.void")

    def has_finalize_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "invoices.manage")

    def create(self, request: HttpRequest, data: dict) -> Invoice:
        return invoice_create_draft(
            customer=data["customer"], actor=request.user, currency=data.get("currency") or None
        )

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not InvoiceLine:
            return super().save_formset(request, form, formset, change)
        lines = formset.save(commit=False)
        invoice_lines_save(
            invoice=form.instance, lines=lines, deleted=formset.deleted_objects, actor=request.user
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A draft finalized by someone else while this form was open: say so, don't fail.
        if request.method == "POST" and object_id:
            invoice = self.get_object(request, object_id)
            if invoice is not None and invoice.status != InvoiceStatus.DRAFT:
                messages.error(
                    request, _("This invoice was finalized meanwhile; it can no longer be edited.")
                )
                return redirect(request.path)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(request.path)

    def save_model(self, request: HttpRequest, obj: Invoice, form, change: bool) -> None:
        if change:
            locked_draft(obj)  # held to the end of the admin's transaction: no finalize races
        super().save_model(request, obj, form, change)

    def delete_model(self, request: HttpRequest, obj: Invoice) -> None:
        invoice_delete_draft(invoice=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset:
            invoice_delete_draft(invoice=invoice, actor=request.user)
