"""Back office for invoices: drafts are edited line by line (Billing and up) and finalized by
an action; a finalized invoice is read-only (voiding: Manager and up). Writes go through the
services, so numbering, snapshots and audit are the same as for the billing run."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing.credit_notes import CREDITABLE, credit_note_issue, creditable_quantity
from billing.emails import invoice_mark_sent
from billing.forms import CreditNoteForm, PaymentForm
from billing.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceReminder,
    InvoiceStatus,
    TaxRate,
)
from billing.run import billing_run_for_customer
from billing.services import (
    invoice_create_draft,
    invoice_delete_draft,
    invoice_finalize,
    invoice_lines_save,
    invoice_mark_paid,
    invoice_mark_uncollectible,
    invoice_void,
)
from billing.tasks import send_invoice_emails
from contracts.models import Customer, VatRegime
from core.admin_base import CreatedByServiceAdmin, TenantScopedAdmin, TenantScopedInline
from core.audit import audit_record
from subscriptions.admin import CustomerWithAccountAdmin
from subscriptions.periods import local_today

PAYABLE = (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE)


@admin.register(TaxRate)
class TaxRateAdmin(TenantScopedAdmin):
    view_action = "invoices.view"
    add_action = change_action = delete_action = "tenant.change"
    audit_name = "tax_rate"
    list_display = ["name", "rate", "is_default"]
    fields = ["tenant", "name", "rate", "is_default"]


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


class InvoiceReminderInline(TenantScopedInline):
    """Which payment reminders went out (or were passed over); written by the reminder job."""

    model = InvoiceReminder
    fields = readonly_fields = ["offset_days", "outcome", "created_at"]
    extra = 0
    view_action = "invoices.view"
    add_action = change_action = delete_action = "invoices.manage"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


SELLER_LABELS = {
    "name": "",
    "address": "",
    "vat_id": _("VAT number"),
    "registration_number": _("Registration number"),
    "iban": "IBAN",
    "bic": "BIC",
}
BUYER_LABELS = {  # the address lines start with the buyer's name
    "number": _("Customer number"),
    "address_lines": "",
    "vat_id": _("VAT number"),
    "po_number": _("PO number"),
    "payment_terms_days": _("Payment terms (days)"),
}


def snapshot_html(snapshot: dict, labels: dict) -> str:
    """A frozen party, one line per value (labelled where a bare value would be unclear);
    "—" for a draft, which has none yet."""
    rows = []
    for key, label in labels.items():
        value = snapshot.get(key)
        if not value:
            continue
        if isinstance(value, list):
            value = "\n".join(value)
        rows.append(format_html("{}{}", f"{label}: " if label else "", value))
    return format_html_join(mark_safe("<br>"), "{}", ((linebreaksbr(r),) for r in rows)) or "—"


class PartiesShown:
    """Seller and buyer as the document prints them (frozen at finalization)."""

    @admin.display(description=_("Seller"))
    def seller_identity(self, document: Invoice | CreditNote) -> str:
        return snapshot_html(document.seller, SELLER_LABELS)

    @admin.display(description=_("Buyer"))
    def buyer_identity(self, document: Invoice | CreditNote) -> str:
        return snapshot_html(document.buyer, BUYER_LABELS)


@admin.register(Invoice)
class InvoiceAdmin(PartiesShown, CreatedByServiceAdmin):
    view_action = "invoices.view"
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
        "mark_uncollectible",
        "void",
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
    ]

    exclude = ["seller", "buyer"]  # shown by PartiesShown, never as editable JSON

    def get_urls(self):
        view = self.admin_site.admin_view(self.payment_view)
        credit = self.admin_site.admin_view(self.credit_note_view)
        return [
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
                note = credit_note_issue(
                    invoice=invoice,
                    actor=request.user,
                    today=local_today(timezone.now(), invoice.tenant.timezone),
                    reason=form.cleaned_data["reason"],
                    quantities=form.quantities(),
                    settlement=form.cleaned_data["settlement"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, _("Credit note %(number)s issued.") % {"number": note.number}
                )
                return redirect(reverse("admin:billing_invoice_change", args=[invoice.pk]))
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
                return redirect(reverse("admin:billing_invoice_change", args=[invoice.pk]))
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

    @admin.display(description=_("VAT regime"))
    def vat_regime_shown(self, invoice: Invoice) -> str:
        return VatRegime(invoice.vat_regime).label if invoice.vat_regime else "—"

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
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(request.path)

    def delete_model(self, request: HttpRequest, obj: Invoice) -> None:
        invoice_delete_draft(invoice=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset:
            invoice_delete_draft(invoice=invoice, actor=request.user)

    def _today(self, invoice: Invoice):
        """Documents are dated by the business's calendar day, not the server's."""
        return local_today(timezone.now(), invoice.tenant.timezone)

    @admin.action(description=_("Finalize the selected drafts"), permissions=["finalize"])
    def finalize(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset.filter(status=InvoiceStatus.DRAFT).order_by("id"):
            try:
                done = invoice_finalize(
                    invoice=invoice, actor=request.user, today=self._today(invoice)
                )
            except ValidationError as exc:
                messages.warning(request, f"{invoice}: {' '.join(exc.messages)}")
            else:
                messages.success(request, _("Finalized as %(number)s.") % {"number": done})

    @admin.action(
        description=_("Finalize the selected drafts as handed over outside Kontor (no e-mail)"),
        permissions=["finalize"],
    )
    def finalize_as_sent(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset.filter(status=InvoiceStatus.DRAFT).order_by("id"):
            try:
                with transaction.atomic():
                    done = invoice_finalize(
                        invoice=invoice, actor=request.user, today=self._today(invoice)
                    )
                    # Recorded before the queued e-mail runs (after commit), which then skips it.
                    invoice_mark_sent(invoice=done, actor=request.user)
            except ValidationError as exc:
                messages.warning(request, f"{invoice}: {' '.join(exc.messages)}")
            else:
                messages.success(request, _("Finalized as %(number)s.") % {"number": done})

    @admin.action(description=_("E-mail the selected invoices (again)"), permissions=["finalize"])
    def email(self, request: HttpRequest, queryset) -> None:
        sendable = queryset.exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID])
        ids = list(sendable.values_list("id", flat=True))
        for invoice in sendable:
            audit_record(
                tenant=invoice.tenant, actor=request.user, action="invoice.emailed", obj=invoice
            )
        transaction.on_commit(lambda: send_invoice_emails.delay(ids, again=True))
        messages.success(
            request,
            ngettext(
                "%(count)d invoice is being e-mailed.",
                "%(count)d invoices are being e-mailed.",
                len(ids),
            )
            % {"count": len(ids)},
        )

    @admin.action(
        description=_("Record the full payment of the selected invoices (bank transfer)"),
        permissions=["finalize"],
    )
    def mark_paid(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset.select_related("tenant").order_by("id"):
            if invoice.status not in PAYABLE:
                messages.warning(request, _("%(number)s is not open.") % {"number": invoice})
                continue
            try:
                invoice_mark_paid(
                    invoice=invoice,
                    actor=request.user,
                    amount=invoice.amount_due,
                    received_on=self._today(invoice),
                )
            except ValidationError as exc:
                messages.warning(request, f"{invoice}: {' '.join(exc.messages)}")
            else:
                messages.success(request, _("%(number)s is paid.") % {"number": invoice})

    @admin.action(description=_("Credit the selected invoices in full"), permissions=["finalize"])
    def credit_in_full(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset:
            try:
                note = credit_note_issue(
                    invoice=invoice,
                    actor=request.user,
                    today=self._today(invoice),
                    reason=str(_("Credited in full by the back office")),
                )
            except ValidationError as exc:
                messages.warning(request, f"{invoice}: {' '.join(exc.messages)}")
            else:
                messages.success(
                    request, _("Credit note %(number)s issued.") % {"number": note.number}
                )

    @admin.action(
        description=_("Mark the selected invoices as sent (handed over outside Kontor)"),
        permissions=["finalize"],
    )
    def mark_sent(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset.select_related("tenant").order_by("id"):
            try:
                invoice_mark_sent(invoice=invoice, actor=request.user)
            except ValidationError as exc:
                messages.warning(request, f"{invoice}: {' '.join(exc.messages)}")
            else:
                messages.success(request, _("%(number)s is marked as sent.") % {"number": invoice})

    @admin.action(
        description=_("Write off the selected invoices (uncollectible)"), permissions=["void"]
    )
    def mark_uncollectible(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset.order_by("id"):
            try:
                invoice_mark_uncollectible(
                    invoice=invoice, actor=request.user, reason="back office"
                )
            except ValidationError as exc:
                messages.warning(request, f"{invoice}: {' '.join(exc.messages)}")
            else:
                messages.success(request, _("%(number)s is written off.") % {"number": invoice})

    @admin.action(description=_("Void the selected invoices"), permissions=["void"])
    def void(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset:
            try:
                invoice_void(invoice=invoice, actor=request.user, reason="back office")
            except ValidationError as exc:
                messages.warning(request, f"{invoice}: {' '.join(exc.messages)}")


class CreditNoteLineInline(TenantScopedInline):
    model = CreditNoteLine
    fields = ["description", "quantity", "unit_price", "tax_rate", "net_amount", "gross_amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    view_action = "invoices.view"


@admin.register(CreditNote)
class CreditNoteAdmin(PartiesShown, TenantScopedAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


admin.site.unregister(Customer)


@admin.register(Customer)
class CustomerWithBillingAdmin(CustomerWithAccountAdmin):
    """The customer page, plus what needs the billing app: invoicing what is due now (Billing
    and up) instead of waiting for the hourly run."""

    actions = [*CustomerWithAccountAdmin.actions, "bill_now"]

    def has_bill_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "invoices.manage")

    @admin.action(
        description=_("Invoice what is due now for the selected customers"),
        permissions=["bill"],
    )
    def bill_now(self, request: HttpRequest, queryset) -> None:
        for customer in queryset.select_related("tenant"):
            issued = billing_run_for_customer(customer=customer, actor=request.user)
            messages.success(
                request,
                ngettext(
                    "%(customer)s: %(count)d invoice issued.",
                    "%(customer)s: %(count)d invoices issued.",
                    issued,
                )
                % {"customer": customer, "count": issued},
            )
