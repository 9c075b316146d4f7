"""Back office for quote requests: what customers asked for from the portal, read-only; staff
turn one into a draft quote, or close it when they answered another way (Billing and up)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from core.admin_base import ReadOnlyAdmin, TenantScopedAdmin
from core.licence import LicenceModule
from quotes.admin.actions import refusal
from quotes.models import QuoteRequest, RequestStatus
from quotes.requests import quote_request_close, quote_request_to_draft
from subscriptions.periods import local_today

# The buttons of an open request: (name, label, explanation).
REQUEST_ACTIONS = {
    "to_draft": (
        _("Create draft quote"),
        _(
            "A draft quote for this customer, with one recurring line per requested tariff "
            "(catalogue prices, starting today) and the customer's note as its introduction. "
            "Edit it, then send it."
        ),
    ),
    "close": (
        _("Close"),
        _("No quote will be drafted from this request (you answered it another way)."),
    ),
}

BR = mark_safe("<br>")  # a constant, nothing from the data in it


@admin.register(QuoteRequest)
class QuoteRequestAdmin(ReadOnlyAdmin, TenantScopedAdmin):
    licence_module = LicenceModule.QUOTES
    view_action = "quotes.view"
    list_display = [
        "__str__",
        "customer",
        "requested_by",
        "items_shown",
        "note_shown",
        "status",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["customer", "requested_by", "tenant"]
    search_fields = ["customer__name", "customer__number", "note"]
    change_form_template = "admin/quotes/quoterequest/change_form.html"
    fields = [
        "customer",
        "requested_by",
        "created_at",
        "status",
        "items_shown",
        "note",
        "quote_link",
        "notified_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("items__tariff__module", "items__options")
        )

    @admin.display(description=_("Items"))
    def items_shown(self, request_row: QuoteRequest) -> str:
        rows = []
        for item in request_row.items.all():
            options = ", ".join(o.name for o in item.options.all())
            rows.append((f"{item.tariff} × {item.quantity}", f" (+ {options})" if options else ""))
        return format_html_join(BR, "{}{}", rows) or "—"

    @admin.display(description=_("Note"))
    def note_shown(self, request_row: QuoteRequest) -> str:
        return Truncator(request_row.note).chars(80) or "—"

    @admin.display(description=_("Quote"))
    def quote_link(self, request_row: QuoteRequest) -> str:
        if request_row.quote_id is None:
            return "—"
        url = reverse("admin:quotes_quote_change", args=[request_row.quote_id])
        return format_html('<a href="{}">{}</a>', url, request_row.quote)

    # --- buttons ------------------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view(self.action_view)
        return [
            *[
                path(
                    f"<int:object_id>/{name}/",
                    view,
                    {"action": name},
                    name=f"quotes_quoterequest_{name}",
                )
                for name in REQUEST_ACTIONS
            ],
            *super().get_urls(),
        ]

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "quotes.manage")

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        row = self.get_object(request, object_id)
        buttons = []
        if row.status == RequestStatus.OPEN and self.has_manage_permission(request):
            buttons = [
                {
                    "label": label,
                    "url": reverse(f"admin:quotes_quoterequest_{name}", args=[row.pk]),
                }
                for name, (label, _explanation) in REQUEST_ACTIONS.items()
            ]
        extra_context = {**(extra_context or {}), "request_buttons": buttons}
        return super().change_view(request, object_id, form_url, extra_context)

    def action_view(self, request: HttpRequest, object_id: int, action: str) -> HttpResponse:
        row = self.get_object(request, str(object_id))
        if not self.has_manage_permission(request):
            raise PermissionDenied
        page = reverse("admin:quotes_quoterequest_change", args=[row.pk])
        if row.status != RequestStatus.OPEN:
            messages.error(request, _("This request was handled already."))
            return redirect(page)
        label, explanation = REQUEST_ACTIONS[action]
        if request.method == "POST":
            try:
                if action == "to_draft":
                    today = local_today(timezone.now(), row.tenant.timezone)
                    quote = quote_request_to_draft(request=row, actor=request.user, today=today)
                else:
                    quote_request_close(request=row, actor=request.user)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, refusal(exc))
                return redirect(page)
            if action == "to_draft":
                messages.success(
                    request, _("Draft %(quote)s was made from the request.") % {"quote": quote}
                )
                return redirect("admin:quotes_quote_change", quote.pk)
            messages.success(request, _("The request is closed."))
            return redirect(page)
        return TemplateResponse(
            request,
            "admin/quotes/quoterequest/action.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": row,
                "request_row": row,
                "title": label,
                "explanation": explanation,
                "submit": label,
                "back": page,
            },
        )
