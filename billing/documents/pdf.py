"""Invoice, credit-note and statement PDFs with WeasyPrint, in the customer's language.

Fast by construction (DESIGN.md): one FontConfiguration and one compiled stylesheet per process,
an image cache, no flex/grid/shadows, fixed table layout. A PDF is rendered the first time it is
needed (download, e-mail, archive), stored with its checksum, and never rendered again.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
from functools import cache, lru_cache

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from billing.documents.calculations import issued_tax_by_rate
from billing.documents.einvoice import credit_note_cii_xml, invoice_cii_xml
from billing.documents.finalization import buyer_snapshot, seller_snapshot
from billing.documents.models import CreditNote, Invoice
from billing.documents.selectors import credit_note_outcome_sentences
from core.i18n import require_catalogues

STYLESHEET = settings.BASE_DIR / "templates" / "billing" / "pdf" / "invoice.css"
# The Factur-X XMP properties (document type, XML file name, version, EN 16931 profile) with
# the PDF/A extension schema that declares them; constant for every invoice and credit note.
FACTURX_XMP = settings.BASE_DIR / "templates" / "billing" / "pdf" / "factur-x.xmp"
FACTURX_XML_NAME = "factur-x.xml"  # the name Factur-X and ZUGFeRD readers look for


@cache
def _engine():
    # deferred: importing WeasyPrint takes about 0.7 s; only processes that render pay for it
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration  # deferred: as above

    fonts = FontConfiguration()
    return fonts, CSS(filename=str(STYLESHEET), font_config=fonts), {}


@lru_cache(maxsize=64)
def _logo_data_uri(name: str) -> str:
    """The business's logo inline (no file lookups while rendering); names change on upload."""
    try:
        with default_storage.open(name) as f:
            data = f.read()
    except OSError:
        # A lost logo file must not stop invoices: they print with the name alone.
        logging.getLogger(__name__).warning("logo %s is missing from storage", name)
        return ""
    mime = mimetypes.guess_type(name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def branding(tenant) -> dict:
    return {"tenant": tenant, "logo": _logo_data_uri(tenant.logo.name) if tenant.logo else ""}


def render_invoice_html(invoice: Invoice, lines: list) -> str:
    language = invoice.buyer.get("language") or invoice.tenant.locale
    with translation.override(language):
        return render_to_string(
            "billing/pdf/invoice.html",
            {
                "invoice": invoice,
                "lines": lines,
                **branding(invoice.tenant),
                "tax_by_rate": issued_tax_by_rate(lines).items(),
            },
        )


def write_pdf(html: str, *, einvoice: bytes | None = None) -> bytes:
    """The PDF of `html`; with `einvoice` (CII XML) a Factur-X invoice: PDF/A-3b, the XML
    attached as factur-x.xml (relationship Data: the XML is the invoice's data, the page its
    presentation) and named in the XMP metadata, as EN 16931 hybrid invoices are read."""
    from weasyprint import HTML, Attachment  # deferred: see _engine

    fonts, stylesheet, image_cache = _engine()
    options: dict = {}
    if einvoice is not None:
        options = {
            "pdf_variant": "pdf/a-3b",
            "attachments": [
                Attachment(string=einvoice, name=FACTURX_XML_NAME, relationship="Data")
            ],
            "xmp_metadata": [FACTURX_XMP],
        }
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[stylesheet],
        font_config=fonts,
        cache=image_cache,
        **options,
    )


def render_invoice_pdf(invoice: Invoice) -> bytes:
    lines = list(invoice.lines.all())
    return write_pdf(render_invoice_html(invoice, lines), einvoice=invoice_cii_xml(invoice, lines))


def render_credit_note_pdf(note: CreditNote) -> bytes:
    lines = list(note.lines.select_related("invoice_line"))
    with translation.override(note.buyer.get("language") or note.tenant.locale):
        html = render_to_string(
            "billing/pdf/credit_note.html",
            {
                "note": note,
                "invoice": note.invoice,
                "lines": lines,
                **branding(note.tenant),
                "tax_by_rate": issued_tax_by_rate(lines).items(),
                "money_outcome": credit_note_outcome_sentences(note),
            },
        )
    # Factur-X 1.0 names every hybrid document INVOICE in its XMP; the XML's type 381 says
    # it is a credit note.
    return write_pdf(html, einvoice=credit_note_cii_xml(note, lines))


def _stored_pdf(document: Invoice | CreditNote, render) -> Invoice | CreditNote:
    """The stored PDF of a finalized document, rendered and stored first if there is none yet
    (under the document's row lock, so two requests never render it twice)."""
    if document.pdf:
        return document
    require_catalogues()  # stored once for good: never with English labels on a French invoice
    model = type(document)
    with transaction.atomic():
        locked = model.objects.select_for_update().select_related("tenant").get(pk=document.pk)
        if not locked.pdf:
            content = render(locked)
            locked.pdf_sha256 = hashlib.sha256(content).hexdigest()
            locked.pdf.save(f"{locked.number}.pdf", ContentFile(content), save=False)
            model.objects.filter(pk=locked.pk).update(
                pdf=locked.pdf.name, pdf_sha256=locked.pdf_sha256
            )
    return locked


def invoice_pdf(invoice: Invoice) -> Invoice:
    return _stored_pdf(invoice, render_invoice_pdf)


def _embedded_xml(stored: Invoice | CreditNote, build) -> bytes:
    """The EN 16931 XML as the stored PDF carries it, so both downloads always agree (the
    embedded XML is the legal e-invoice). PDFs stored before Factur-X carry none: their XML is
    built (`build`) from the same frozen data."""
    # deferred: factur-x imports pypdf and its XSDs; only this download needs it
    from facturx import get_facturx_xml_from_pdf

    with stored.pdf.open("rb") as f:
        filename, xml = get_facturx_xml_from_pdf(f.read(), check_xsd=False)
    return xml if filename == FACTURX_XML_NAME else build(stored)


def invoice_xml(invoice: Invoice) -> bytes:
    return _embedded_xml(invoice_pdf(invoice), invoice_cii_xml)


def credit_note_pdf(note: CreditNote) -> CreditNote:
    return _stored_pdf(note, render_credit_note_pdf)


def credit_note_xml(note: CreditNote) -> bytes:
    return _embedded_xml(credit_note_pdf(note), credit_note_cii_xml)


def warm_up() -> None:
    """Import WeasyPrint and build the fonts once (a worker calls this at start)."""
    _engine()


def render_statement_pdf(statement) -> bytes:
    """The statement (billing.collections' Statement) in its customer's document language."""
    tenant = statement.customer.tenant
    with translation.override(statement.language):
        html = render_to_string(
            "billing/pdf/statement.html", {"statement": statement, **branding(tenant)}
        )
    return write_pdf(html)


def render_receipt_pdf(receipt) -> bytes:
    """A receipt (billing.payments' Receipt) for one payment: its number and issue date, what
    was received, how, and which invoices it paid — as recorded; refunds made later have their
    own credit notes. Receipts given to payments from before receipts were numbered froze no
    parties: they print them as they are when their PDF is stored."""

    payment = receipt.payment
    tenant, customer = payment.tenant, payment.customer
    doc = {
        "seller": receipt.seller or seller_snapshot(tenant),
        "buyer": receipt.buyer or buyer_snapshot(customer),
    }
    allocations = list(payment.allocations.select_related("invoice").order_by("id"))
    attempt = getattr(payment, "attempt", None)
    with translation.override(doc["buyer"].get("language") or tenant.locale):
        html = render_to_string(
            "billing/pdf/receipt.html",
            {
                "receipt": receipt,
                "payment": payment,
                "doc": doc,
                "allocations": allocations,
                "kept_as_credit": payment.amount - sum(a.amount for a in allocations),
                "card": attempt.payment_method if attempt else None,
                **branding(tenant),
            },
        )
    return write_pdf(html)


def receipt_pdf(receipt):
    """The receipt with its PDF stored (rendered first if it has none yet)."""
    return _stored_pdf(receipt, render_receipt_pdf)
