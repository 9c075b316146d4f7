"""Invoices' and credit notes' files: the PDF, the EN 16931 e-invoice (CII XML) and the
XRechnung, for the logged-in customer; a credit note's PDF through its e-mailed link."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from billing.documents import selectors
from billing.documents.links import credit_note_from_token
from billing.documents.models import CreditNote, Invoice
from billing.documents.pdf import credit_note_pdf, credit_note_xml, invoice_pdf, invoice_xml
from billing.documents.xrechnung import (
    XRechnungUnavailable,
    credit_note_xrechnung_xml,
    invoice_xrechnung_xml,
    xrechnung_filename,
)
from contracts.access import customer_required
from core.licence import LicenceModule, licence_required
from core.signing import LinkInvalid


@customer_required
def invoice_pdf_download(request: HttpRequest, invoice_id: int) -> FileResponse:
    invoice = get_object_or_404(
        selectors.invoice_list(tenant=request.tenant, customer=request.customer, with_lines=True),
        pk=invoice_id,
    )
    return pdf_download(invoice_pdf(invoice))


@licence_required(LicenceModule.EINVOICING)
@customer_required
def invoice_xml_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """The invoice's EN 16931 e-invoice (CII XML), the one its PDF carries."""
    invoice = get_object_or_404(
        selectors.invoice_list(tenant=request.tenant, customer=request.customer, with_lines=True),
        pk=invoice_id,
    )
    return xml_download(invoice_xml(invoice), invoice.number)


@licence_required(LicenceModule.EINVOICING)
@customer_required
def invoice_xrechnung_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """The invoice as an XRechnung (CII), for German public buyers and those who ask for it."""
    invoice = get_object_or_404(
        selectors.invoice_list(tenant=request.tenant, customer=request.customer), pk=invoice_id
    )
    return xrechnung_response(request, invoice, invoice_xrechnung_xml)


@customer_required
def credit_note_pdf_download(request: HttpRequest, note_id: int) -> FileResponse:
    note = get_object_or_404(
        selectors.credit_note_list(tenant=request.tenant, customer=request.customer), pk=note_id
    )
    return pdf_download(credit_note_pdf(note))


@licence_required(LicenceModule.EINVOICING)
@customer_required
def credit_note_xml_download(request: HttpRequest, note_id: int) -> HttpResponse:
    """The credit note's EN 16931 e-invoice (CII XML, type 381), the one its PDF carries."""
    note = get_object_or_404(
        selectors.credit_note_list(tenant=request.tenant, customer=request.customer), pk=note_id
    )
    return xml_download(credit_note_xml(note), note.number)


@licence_required(LicenceModule.EINVOICING)
@customer_required
def credit_note_xrechnung_download(request: HttpRequest, note_id: int) -> HttpResponse:
    note = get_object_or_404(
        selectors.credit_note_list(tenant=request.tenant, customer=request.customer), pk=note_id
    )
    return xrechnung_response(request, note, credit_note_xrechnung_xml)


def credit_note_by_link_pdf(request: HttpRequest, token: str) -> HttpResponse:
    """A credit note's e-mailed link: its PDF, no login needed."""
    try:
        note = credit_note_from_token(tenant=request.tenant, token=token)
    except LinkInvalid:
        return render(request, "billing/link_invalid.html", status=404)
    return pdf_download(credit_note_pdf(note))


def xml_download(xml: bytes, number: str, filename: str = "") -> HttpResponse:
    response = HttpResponse(xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{filename or number + ".xml"}"'
    return response


def xrechnung_response(request: HttpRequest, document: Invoice | CreditNote, build) -> HttpResponse:
    """The XRechnung download, or a page that says what the document lacks for one (409: the
    document exists, but its frozen data cannot make a valid XRechnung)."""
    try:
        xml = build(document)
    except XRechnungUnavailable as unavailable:
        return render(
            request,
            "billing/xrechnung_unavailable.html",
            {"section_key": "invoices", "document": document, "gaps": unavailable.gaps},
            status=409,
        )
    return xml_download(xml, document.number, xrechnung_filename(document.number))


def pdf_download(stored: Invoice | CreditNote) -> FileResponse:
    return FileResponse(
        stored.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{stored.number}.pdf",
    )
