"""The quote an invoice or a subscription came from, shown on their back-office pages. Billing
and subscriptions sit below quotes and cannot know it: portal/admin.py mixes this in."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from core.licence import LicenceModule, licence_admin_allows
from quotes.models import Quote


def _links(quotes) -> str:
    rows = [(reverse("admin:quotes_quote_change", args=[q.pk]), str(q)) for q in quotes]
    return format_html_join(", ", '<a href="{}">{}</a>', rows) if rows else "—"


def _invoice_quotes(invoice):
    return Quote.objects.filter(
        Q(invoice=invoice) | Q(deposit_invoice=invoice), tenant=invoice.tenant
    )


def _subscription_quotes(subscription):
    return subscription.quotes.filter(tenant=subscription.tenant)


class QuoteOriginMixin:
    """Adds a read-only "from quote" field to a change page (not the add page); `quotes_of`
    says where the page's object came from."""

    quotes_of = staticmethod(_subscription_quotes)

    @admin.display(description=_("From quote"))
    def quote_origin(self, obj) -> str:
        return _links(self.quotes_of(obj))

    def _shows_origin(self, request: HttpRequest, obj) -> bool:
        # Without the quotes module its pages do not exist: no link to them either.
        return obj is not None and licence_admin_allows(request, LicenceModule.QUOTES)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "quote_origin"] if self._shows_origin(request, obj) else readonly

    def get_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_fields(request, obj))
        if self._shows_origin(request, obj) and "quote_origin" not in fields:
            fields.append("quote_origin")
        return fields


class InvoiceQuoteMixin(QuoteOriginMixin):
    quotes_of = staticmethod(_invoice_quotes)


class SubscriptionQuoteMixin(QuoteOriginMixin):
    quotes_of = staticmethod(_subscription_quotes)


__all__ = ["InvoiceQuoteMixin", "SubscriptionQuoteMixin"]
