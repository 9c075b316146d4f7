"""Invoice PDFs with WeasyPrint, from templates in the customer's language.

Fast by construction (DESIGN.md): one FontConfiguration and one compiled stylesheet per process,
an image cache, no flex/grid/shadows, fixed table layout. A PDF is rendered the first time it is
needed (download, e-mail, archive), stored with its checksum, and never rendered again.
"""

from __future__ import annotations

import hashlib
from functools import cache

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from billing.calculations import totals
from billing.models import Invoice

STYLESHEET = settings.BASE_DIR / "templates" / "billing" / "pdf" / "invoice.css"


@cache
def _engine():
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return fonts, CSS(filename=str(STYLESHEET), font_config=fonts), {}


def render_invoice_html(invoice: Invoice, lines: list) -> str:
    language = invoice.buyer.get("language") or invoice.tenant.locale
    with translation.override(language):
        return render_to_string(
            "billing/pdf/invoice.html",
            {
                "invoice": invoice,
                "lines": lines,
                "tenant": invoice.tenant,
                "tax_by_rate": totals(lines).tax_by_rate.items(),
            },
        )


def render_invoice_pdf(invoice: Invoice) -> bytes:
    from weasyprint import HTML

    fonts, stylesheet, image_cache = _engine()
    html = render_invoice_html(invoice, list(invoice.lines.all()))
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[stylesheet],
        font_config=fonts,
        cache=image_cache,
    )


def invoice_pdf(invoice: Invoice) -> Invoice:
    """The stored PDF of a finalized invoice, rendered and stored first if there is none yet
    (under the invoice's row lock, so two requests never render it twice)."""
    if invoice.pdf:
        return invoice
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().select_related("tenant").get(pk=invoice.pk)
        if not locked.pdf:
            content = render_invoice_pdf(locked)
            locked.pdf_sha256 = hashlib.sha256(content).hexdigest()
            locked.pdf.save(f"{locked.number}.pdf", ContentFile(content), save=False)
            Invoice.objects.filter(pk=locked.pk).update(
                pdf=locked.pdf.name, pdf_sha256=locked.pdf_sha256
            )
    return locked


def warm_up() -> None:
    """Import WeasyPrint and build the fonts once (a worker calls this at start)."""
    _engine()


def render_statement_pdf(statement) -> bytes:
    from weasyprint import HTML

    fonts, stylesheet, image_cache = _engine()
    tenant = statement.customer.tenant
    with translation.override(statement.customer.language or tenant.locale):
        html = render_to_string(
            "billing/pdf/statement.html", {"statement": statement, "tenant": tenant}
        )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[stylesheet],
        font_config=fonts,
        cache=image_cache,
    )
