"""What billing adds to the back-office pages of orders and subscriptions (registered on the
top floor, portal/admin.py): an order's payment state, its invoices and "Invoice this order";
the invoices a subscription produced."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import formats, timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from billing.documents import selectors
from billing.documents.models import Invoice
from billing.payments.checkout import order_invoice_now
from core.money import format_money
from core.roles import may
from subscriptions.models import Order
from subscriptions.periods import local_today


def _invoice_url(invoice: Invoice) -> str:
    return reverse("admin:billing_invoice_change", args=[invoice.pk])


def invoice_table(invoices) -> str:
    """Invoices as rows: number (linked), issue date, status, total."""
    language = (translation.get_language() or "en").split("-")[0]
    rows = [
        (
            _invoice_url(i),
            str(i),
            formats.date_format(i.issue_date) if i.issue_date else "—",
            i.get_status_display(),
            format_money(i.gross_amount, i.currency, language),
        )
        for i in invoices
    ]
    if not rows:
        return "—"
    return format_html(
        '<table class="kontor-invoices"><tbody>{}</tbody></table>',
        format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td>'
            '<td style="text-align:right">{}</td></tr>',
            rows,
        ),
    )


class ShownOnChangePage:
    """Adds read-only computed fields (`shown`) to a change page, not to the add page."""

    shown: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, *self.shown] if obj is not None else readonly

    def get_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None:
            fields += [name for name in self.shown if name not in fields]
        return fields


class OrderBillingMixin(ShownOnChangePage):
    shown = ("payment_state", "order_invoices")
    actions = ["invoice_order"]

    @admin.display(description=_("Payment"))
    def payment_state(self, order: Order) -> str:
        return selectors.order_payments([order])[order.pk].label or "—"

    @admin.display(description=_("Invoices"))
    def order_invoices(self, order: Order) -> str:
        return invoice_table(selectors.order_payments([order])[order.pk].invoices)

    def has_invoice_permission(self, request: HttpRequest) -> bool:
        return request.tenant is not None and may(
            request.user, "invoices.manage", tenant=request.tenant
        )

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.invoice_order_view))
        return [
            path("<int:object_id>/invoice/", view, name="subscriptions_order_invoice"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if (
            order is not None
            and order.is_priced
            and order.subscription_id is None
            and order.invoiced_at is None
            and self.has_invoice_permission(request)
        ):
            extra_context["invoice_order_url"] = reverse(
                "admin:subscriptions_order_invoice", args=[order.pk]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def invoice_order_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        order = self.get_object(request, str(object_id))
        if order is None:
            raise Http404
        if not self.has_invoice_permission(request):
            raise PermissionDenied
        self._invoice(request, order)
        return redirect("admin:subscriptions_order_change", order.pk)

    def _invoice(self, request: HttpRequest, order: Order) -> None:
        try:
            invoice = order_invoice_now(
                order=order,
                actor=request.user,
                today=local_today(timezone.now(), order.tenant.timezone),
            )
        except ValidationError as exc:
            messages.warning(request, f"{order}: {' '.join(exc.messages)}")
        else:
            messages.success(
                request,
                gettext("%(order)s: invoice %(number)s issued.")
                % {"order": order, "number": invoice.number},
            )

    @admin.action(description=_("Invoice this order"), permissions=["invoice"])
    def invoice_order(self, request: HttpRequest, queryset) -> None:
        for order in queryset.select_related("tenant"):
            self._invoice(request, order)


class SubscriptionInvoicesMixin(ShownOnChangePage):
    shown = ("subscription_invoices",)

    @admin.display(description=_("Invoices"))
    def subscription_invoices(self, subscription) -> str:
        return invoice_table(
            selectors.subscription_invoices(subscription=subscription, customers_only=False)
        )


def order_links(orders) -> str:
    rows = [(reverse("admin:subscriptions_order_change", args=[o.pk]), o.title) for o in orders]
    return format_html_join(", ", '<a href="{}">{}</a>', rows) if rows else "—"
