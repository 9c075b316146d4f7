"""What a quote's back-office page shows besides its fields: totals, the parties as sent, the
customer's answer, what it became, its versions, its events and audit trail."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing.documents.admin.parties import BUYER_LABELS, SELLER_LABELS, snapshot_html
from contracts.models import vat_regime_label
from core.models import AuditEntry
from core.templatetags.kontor import money
from quotes.models import Quote, QuoteStatus

AUDIT_ROWS_SHOWN = 100

# What each QuoteEvent kind reads as on the quote's page.
EVENT_LABELS = {
    "draft": _("Drafted"),
    "duplicate": _("Drafted as a copy"),
    "revision": _("Drafted as a new version"),
    "sent": pgettext_lazy("quote", "Sent"),
    "withdrawn": _("Withdrawn"),
    "expired": _("Expired"),
    "superseded": _("Replaced by a revision"),
    "approved": _("Approved"),
    "converted": _("Invoiced and ordered"),
    "declined": _("Declined"),
    "balance_invoiced": _("Balance invoiced"),
}

BR = mark_safe("<br>")  # a constant, nothing from the data in it


def amount(value, currency: str) -> str:
    return money(value, currency) if value is not None else "—"


def admin_link(viewname: str, obj) -> str:
    return format_html('<a href="{}">{}</a>', reverse(viewname, args=[obj.pk]), obj)


class QuoteShown:
    """Mixed into the quote back office (a TenantScopedAdmin)."""

    def events(self, quote: Quote) -> list[dict]:
        statuses = dict(QuoteStatus.choices)
        return [
            {
                "at": event.created_at,
                "what": EVENT_LABELS.get(event.kind, event.kind),
                "status": statuses.get(event.to_status, event.to_status),
                "who": event.actor or _("the system or the e-mailed link"),
                "details": ", ".join(f"{key}: {value}" for key, value in event.data.items()),
            }
            for event in quote.events.select_related("actor").order_by("created_at", "id")
        ]

    def audit_entries(self, request: HttpRequest, quote: Quote):
        if not self._may(request, "audit.view"):
            return None
        return AuditEntry.objects.filter(
            tenant=quote.tenant,
            object_type=ContentType.objects.get_for_model(Quote),
            object_id=str(quote.pk),
        ).order_by("-created_at", "-id")[:AUDIT_ROWS_SHOWN]

    # --- shown fields -------------------------------------------------------------------------
    @admin.display(description=_("Customer"))
    def customer_link(self, quote: Quote) -> str:
        return admin_link("admin:contracts_customer_change", quote.customer)

    @admin.display(description=_("Net / VAT / Total"))
    def one_off_totals(self, quote: Quote) -> str:
        return " / ".join(
            amount(value, quote.currency)
            for value in (quote.net_amount, quote.tax_amount, quote.gross_amount)
        )

    @admin.display(description=_("Deposit due on approval"))
    def deposit_amount_shown(self, quote: Quote) -> str:
        if not quote.deposit_kind:
            return _("No deposit")
        return amount(quote.deposit_amount, quote.currency)

    @admin.display(description=_("E-mailed"))
    def emailed(self, quote: Quote) -> str:
        if quote.emailed_at is None:
            return _("Not yet")
        return format_html(
            "{} — {}",
            formats.date_format(timezone.localtime(quote.emailed_at), "SHORT_DATETIME_FORMAT"),
            ", ".join(quote.emailed_to),
        )

    @admin.display(description=_("VAT regime"))
    def vat_regime_shown(self, quote: Quote) -> str:
        return vat_regime_label(quote.vat_regime) if quote.vat_regime else "—"

    @admin.display(description=_("Seller"))
    def seller_identity(self, quote: Quote) -> str:
        return snapshot_html(quote.seller, SELLER_LABELS)

    @admin.display(description=_("Buyer"))
    def buyer_identity(self, quote: Quote) -> str:
        return snapshot_html(quote.buyer, BUYER_LABELS)

    @admin.display(description=_("Approved"))
    def approval_record(self, quote: Quote) -> str:
        if quote.approved_at is None:
            return "—"
        rows = [
            (_("When"), _approved_when(quote)),
            (_("By"), quote.approved_by.user if quote.approved_by else _("the e-mailed link")),
            (_("Signed as"), quote.approver_name or "—"),
            (_("IP address"), quote.approver_ip or "—"),
            (_("Browser"), quote.approver_user_agent or "—"),
            (
                _("Terms accepted"),
                f"{quote.approved_terms.title} ({quote.approved_terms.version})"
                if quote.approved_terms
                else _("none published"),
            ),
        ]
        return format_html_join(BR, "{}: {}", rows)

    @admin.display(description=_("Invoices and subscriptions"))
    def became(self, quote: Quote) -> str:
        rows = []
        if quote.deposit_invoice_id:
            rows.append(
                (
                    _("Deposit invoice"),
                    admin_link("admin:billing_invoice_change", quote.deposit_invoice),
                )
            )
        if quote.invoice_id:
            rows.append((_("Invoice"), admin_link("admin:billing_invoice_change", quote.invoice)))
        for subscription in quote.subscriptions.select_related("tariff__module"):
            rows.append(
                (
                    _("Subscription"),
                    admin_link("admin:subscriptions_subscription_change", subscription),
                )
            )
        if not rows:
            return "—"
        return format_html_join(BR, "{}: {}", rows)

    @admin.display(description=_("Versions"))
    def versions(self, quote: Quote) -> str:
        rows = []
        if quote.revision_of_id:
            rows.append(
                (_("Previous version"), admin_link("admin:quotes_quote_change", quote.revision_of))
            )
        following = Quote.objects.filter(revision_of=quote).first()
        if following is not None:
            rows.append((_("Next version"), admin_link("admin:quotes_quote_change", following)))
        if not rows:
            return "—"
        return format_html_join(BR, "{}: {}", rows)


def _approved_when(quote: Quote) -> str:
    """As the quote's PDF states it: the date-time where the business is, and that zone."""
    moment = timezone.localtime(quote.approved_at)
    return f"{formats.date_format(moment, 'DATETIME_FORMAT')} ({moment.tzname()})"
