"""Quote PDFs, with billing's PDF engine and the business's branding, in the buyer's language.

The PDF as sent is stored once, when the quote goes out; after approval a second copy is stored
once, the same quote with the approval record (who, when, from where, which terms) on it.
Neither is ever rendered again from changed data."""

from __future__ import annotations

import hashlib
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from billing.documents.calculations import issued_tax_by_rate, totals
from billing.documents.pdf import branding, write_pdf
from core.i18n import require_catalogues
from quotes.models import Quote, QuoteStatus


def render_quote_html(quote: Quote, *, approved: bool) -> str:
    lines = list(quote.lines.select_related("tariff").prefetch_related("options__option"))
    one_off = [li for li in lines if not li.is_recurring]
    recurring = [li for li in lines if li.is_recurring]
    language = quote.buyer.get("language") or quote.tenant.locale
    # Times (the approval's) as the business's clock shows them, not the worker's UTC.
    with translation.override(language), timezone.override(ZoneInfo(quote.tenant.timezone)):
        return render_to_string(
            "quotes/pdf/quote.html",
            {
                "quote": quote,
                "one_off": one_off,
                "recurring": recurring,
                "tax_by_rate": issued_tax_by_rate(one_off).items(),
                "recurring_totals": totals(recurring, currency=quote.currency),
                "approved": approved,
                **branding(quote.tenant),
            },
        )


def render_quote_pdf(quote: Quote, *, approved: bool = False) -> bytes:
    return write_pdf(render_quote_html(quote, approved=approved))


def _store(quote: Quote, field: str, *, approved: bool) -> Quote:
    if getattr(quote, field):
        return quote
    require_catalogues()  # stored for good: never with English labels on a French quote
    with transaction.atomic():
        locked = (
            Quote.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=quote.pk)
        )
        if not getattr(locked, field):
            content = render_quote_pdf(locked, approved=approved)
            suffix = "-approved" if approved else ""
            name = f"{locked}{suffix}.pdf".replace(" ", "-")
            getattr(locked, field).save(name, ContentFile(content), save=False)
            updates = {field: getattr(locked, field).name}
            if not approved:
                locked.pdf_sha256 = updates["pdf_sha256"] = hashlib.sha256(content).hexdigest()
            Quote.objects.filter(pk=locked.pk).update(**updates)
    return locked


def quote_pdf(quote: Quote) -> Quote:
    """The quote with its PDF as sent, stored first if there is none yet."""
    return _store(quote, "pdf", approved=False)


def quote_approved_pdf(quote: Quote) -> Quote:
    """The quote with its approved copy stored (only once it was approved)."""
    if quote.status != QuoteStatus.CONVERTED:
        return quote
    return _store(quote, "approved_pdf", approved=True)


def quote_current_pdf(quote: Quote) -> tuple[Quote, str]:
    """What the customer downloads: the approved copy once there is one, else as sent."""
    if quote.status == QuoteStatus.CONVERTED:
        quote = quote_approved_pdf(quote)
        return quote, "approved_pdf"
    return quote_pdf(quote), "pdf"
