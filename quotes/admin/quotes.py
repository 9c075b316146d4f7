"""Back office for quotes: a draft is written field by field and line by line (Billing and up)
through the services, which price it; once sent a quote is read-only, and its page shows what
happened to it (events, audit trail), the customer's answer and what it became."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.admin_base import CreatedByServiceAdmin, TenantScopedInline
from core.licence import LicenceModule
from quotes.admin.actions import QuoteActions, business_today
from quotes.admin.forms import OneOffLineForm, QuoteAddForm, RecurringLineForm
from quotes.admin.shown import BR, QuoteShown, amount
from quotes.amounts import tariff_price
from quotes.models import LineKind, Quote, QuoteLine, QuoteStatus
from quotes.services import quote_create_draft, quote_delete_draft, quote_lines_save, quote_update
from subscriptions.periods import local_today

# The fields of a draft staff edit (through quote_update).
EDITABLE = [
    "title",
    "introduction",
    "terms",
    "po_number",
    "valid_until",
    "deposit_kind",
    "deposit_value",
]


class DraftLinesInline(TenantScopedInline):
    """A draft's lines, editable by Billing and up until the quote is sent."""

    model = QuoteLine
    extra = 0
    view_action = "quotes.view"
    add_action = change_action = delete_action = "quotes.manage"
    kind: str = ""

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .filter(kind=self.kind)
            .select_related("tariff__module", "quote")
            .prefetch_related("options__option")
        )

    def _is_draft(self, obj) -> bool:
        return obj is not None and obj.status == QuoteStatus.DRAFT

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._is_draft(obj) and super().has_delete_permission(request, obj)

    @admin.display(description=_("Net"))
    def net_shown(self, line: QuoteLine) -> str:
        return amount(line.net_amount, line.quote.currency) if line.pk else "—"

    @admin.display(description=_("Total"))
    def gross_shown(self, line: QuoteLine) -> str:
        return amount(line.gross_amount, line.quote.currency) if line.pk else "—"


class OneOffLineInline(DraftLinesInline):
    form = OneOffLineForm
    kind = LineKind.ONE_OFF
    verbose_name = _("one-off line")
    verbose_name_plural = _("One-off lines")
    fields = ["description", "quantity", "unit_price", "tax_rate", "net_shown", "gross_shown"]
    readonly_fields = ["net_shown", "gross_shown"]


class RecurringLineInline(DraftLinesInline):
    form = RecurringLineForm
    kind = LineKind.RECURRING
    verbose_name = _("recurring line")
    verbose_name_plural = _("Recurring lines (amounts per period, add-on options included)")
    fields = [
        "tariff",
        "description",
        "quantity",
        "unit_price",
        "start_on",
        "options_shown",
        "net_shown",
        "gross_shown",
    ]
    readonly_fields = ["options_shown", "net_shown", "gross_shown"]

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields.get("tariff")
        if obj is not None and field is not None:
            # Tariffs on sale in the quote's currency, and those its lines already name.
            named = obj.lines.filter(tariff__isnull=False).values("tariff_id")
            field.queryset = field.queryset.filter(
                Q(is_active=True, currency=obj.currency) | Q(pk__in=named)
            ).select_related("module")
        return formset

    @admin.display(description=_("Add-on options"))
    def options_shown(self, line: QuoteLine) -> str:
        if not line.pk:
            return _("Save the line first.")
        offered = [
            format_html(
                "{} × {} ({})",
                o.option.name,
                o.quantity,
                format_html("{} {}", _("per month"), amount(o.unit_price, line.quote.currency)),
            )
            for o in line.options.all()
        ]
        url = reverse("admin:quotes_quote_line_options", args=[line.quote_id, line.pk])
        listed = format_html_join(BR, "{}", ((o,) for o in offered))
        return format_html(
            '{}{}<a href="{}">{}</a>',
            listed,
            BR if offered else "",
            url,
            _("Add-on options") if line.quote.status == QuoteStatus.DRAFT else _("Details"),
        )


@admin.register(Quote)
class QuoteAdmin(QuoteActions, QuoteShown, CreatedByServiceAdmin):
    licence_module = LicenceModule.QUOTES
    view_action = "quotes.view"
    add_action = change_action = "quotes.manage"
    audit_name = "quote"
    list_display = [
        "quote_number",
        "customer",
        "status",
        "valid_until",
        "one_off_total",
        "sent_on",
    ]
    list_filter = ["status"]
    list_select_related = ["customer", "tenant"]
    search_fields = ["number", "title", "customer__name", "customer__number"]
    autocomplete_fields = ["customer"]
    inlines = [OneOffLineInline, RecurringLineInline]
    change_form_template = "admin/quotes/quote/change_form.html"
    change_list_template = "admin/quotes/quote/change_list.html"

    DISPLAYED = [
        "customer_link",
        "status",
        "quote_number",
        "one_off_totals",
        "deposit_amount_shown",
        "issue_date",
        "sent_at",
        "emailed",
        "vat_regime_shown",
        "seller_identity",
        "buyer_identity",
        "approval_record",
        "declined_at",
        "decline_reason",
        "became",
        "versions",
    ]

    # --- list ---------------------------------------------------------------------------------
    @admin.display(description=_("Quote"), ordering="number")
    def quote_number(self, quote: Quote) -> str:
        return str(quote)

    @admin.display(description=_("One-off total"), ordering="gross_amount")
    def one_off_total(self, quote: Quote) -> str:
        return amount(quote.gross_amount, quote.currency)

    @admin.display(description=pgettext_lazy("quote", "Sent"), ordering="sent_at")
    def sent_on(self, quote: Quote):
        return timezone.localtime(quote.sent_at).date() if quote.sent_at else "—"

    # --- the page -----------------------------------------------------------------------------
    def get_inlines(self, request: HttpRequest, obj=None):
        return self.inlines if obj is not None else []

    def get_fieldsets(self, request: HttpRequest, obj=None):
        if obj is None:
            return [(None, {"fields": ["customer", "currency", "title"]})]
        fieldsets = [
            (None, {"fields": ["customer_link", "quote_number", "status", *EDITABLE]}),
            (
                _("Totals of the one-off lines"),
                {"fields": ["one_off_totals", "deposit_amount_shown"]},
            ),
        ]
        if obj.status != QuoteStatus.DRAFT:
            fieldsets.append(
                (
                    _("As sent"),
                    {
                        "fields": [
                            "issue_date",
                            "sent_at",
                            "emailed",
                            "vat_regime_shown",
                            "seller_identity",
                            "buyer_identity",
                        ]
                    },
                )
            )
        if obj.approved_at or obj.declined_at:
            fieldsets.append(
                (
                    _("The customer's answer"),
                    {"fields": ["approval_record", "declined_at", "decline_reason"]},
                )
            )
        fieldsets.append((_("What it became"), {"fields": ["became", "versions"]}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.DISPLAYED if obj is not None else []

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = QuoteAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        initial = super().get_changeform_initial_data(request)
        if request.tenant is not None:
            initial.setdefault("currency", request.tenant.default_currency)
        return initial

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        quote = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "quote_buttons": self.buttons(request, quote),
            "quote_events": self.events(quote),
            "audit_entries": self.audit_entries(request, quote),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- permissions ------------------------------------------------------------------------
    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        """A sent quote is read-only: it changes by the buttons on its page."""
        if obj is not None and obj.status != QuoteStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return (
            obj is not None
            and obj.status == QuoteStatus.DRAFT
            and self._may(request, "quotes.manage")
            and self._object_in_scope(request, obj)
        )

    # --- writes, through the services ---------------------------------------------------------
    def create(self, request: HttpRequest, data: dict) -> Quote:
        return quote_create_draft(
            customer=data["customer"],
            actor=request.user,
            today=local_today(timezone.now(), data["customer"].tenant.timezone),
            title=data.get("title", ""),
            currency=data.get("currency") or None,
        )

    def response_add(self, request: HttpRequest, obj: Quote, post_url_continue=None):
        # A new draft has no lines yet: its page is where they are written.
        super().response_add(request, obj, post_url_continue)
        return HttpResponseRedirect(reverse("admin:quotes_quote_change", args=[obj.pk]))

    def save_model(self, request: HttpRequest, obj: Quote, form, change: bool) -> None:
        if change and any(name in form.changed_data for name in EDITABLE):
            quote_update(
                quote=obj,
                actor=request.user,
                **{name: form.cleaned_data[name] for name in EDITABLE if name in form.cleaned_data},
            )

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        if not change:
            return super().save_related(request, form, formsets, change)
        # Both line tables in one call: one lock, one pricing, one audit entry.
        lines, deleted = [], []
        for formset in formsets:
            saved = formset.save(commit=False)
            for line in saved:
                if line.pk is None:
                    line.position = None  # the service puts new lines last
                if line.tariff_id is not None and line.unit_price is None:
                    line.unit_price = tariff_price(line.tariff)
                if line.tariff_id is not None and line.start_on is None:
                    line.start_on = business_today(form.instance)
            lines += saved
            deleted += formset.deleted_objects
        if lines or deleted:
            quote_lines_save(quote=form.instance, lines=lines, deleted=deleted, actor=request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id:
            quote = self.get_object(request, object_id)
            if quote.status != QuoteStatus.DRAFT and self.has_manage_permission(request):
                messages.error(
                    request, _("This quote was sent meanwhile; it can no longer be edited.")
                )
                return redirect(request.path)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            # A service refused (a tariff taken off sale, a race): the change was rolled back.
            messages.error(request, " ".join(exc.messages))
            return redirect(request.path)

    def delete_model(self, request: HttpRequest, obj: Quote) -> None:
        quote_delete_draft(quote=obj, actor=request.user)
