"""The files of an issued invoice or credit note on its back-office page, side by side: the PDF
(a Factur-X / ZUGFeRD file), the e-invoice XML that PDF carries, and the XRechnung."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from billing.documents.models import CreditNote, Invoice
from billing.documents.pdf import credit_note_pdf, credit_note_xml, invoice_pdf, invoice_xml
from billing.documents.xrechnung import (
    XRechnungUnavailable,
    credit_note_xrechnung_xml,
    invoice_xrechnung_xml,
    xrechnung_filename,
)
from core.licence import LicenceModule, licence_admin_allows, licence_admin_required

DOWNLOADS = (
    ("pdf", _("PDF")),
    ("xml", _("Factur-X XML")),
    ("xrechnung", _("XRechnung XML")),
)
# The downloads only the e-invoicing licence module offers (the PDF is always there).
EINVOICE_KINDS = frozenset({"xml", "xrechnung"})
# kind -> (stored PDF, the XML it carries, XRechnung), per document type
_BUILDERS: dict[type, tuple[Callable, Callable, Callable]] = {
    Invoice: (invoice_pdf, invoice_xml, invoice_xrechnung_xml),
    CreditNote: (credit_note_pdf, credit_note_xml, credit_note_xrechnung_xml),
}


class DocumentDownloads:
    """Mixed into a document's ModelAdmin: three download views, and their links on the page
    of every numbered document (a draft has no files yet)."""

    def _download_name(self, kind: str) -> str:
        meta = self.model._meta
        return f"{meta.app_label}_{meta.model_name}_{kind}"

    def get_urls(self):
        views = {
            "pdf": self.pdf_download_view,
            "xml": self.xml_download_view,
            "xrechnung": self.xrechnung_download_view,
        }
        return [
            path(
                f"<int:object_id>/{kind}/",
                licence_admin_required(
                    LicenceModule.EINVOICING if kind in EINVOICE_KINDS else None,
                    self.admin_site.admin_view(view),
                ),
                name=self._download_name(kind),
            )
            for kind, view in views.items()
        ] + super().get_urls()

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        document = self.get_object(request, object_id) if str(object_id).isdigit() else None
        if document is not None and document.number:
            einvoicing = licence_admin_allows(request, LicenceModule.EINVOICING)
            extra_context["downloads"] = [
                (label, reverse(f"admin:{self._download_name(kind)}", args=[document.pk]))
                for kind, label in DOWNLOADS
                if einvoicing or kind not in EINVOICE_KINDS
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    def _document(self, request: HttpRequest, object_id: int) -> Invoice | CreditNote:
        document = self.get_object(request, str(object_id))
        if not document.number:
            raise Http404
        if not self.has_view_permission(request, document):
            raise PermissionDenied
        return document

    def pdf_download_view(self, request: HttpRequest, object_id: int) -> FileResponse:
        document = self._document(request, object_id)
        stored = _BUILDERS[self.model][0](document)
        return FileResponse(
            stored.pdf.open("rb"),
            content_type="application/pdf",
            as_attachment=True,
            filename=f"{stored.number}.pdf",
        )

    def xml_download_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        document = self._document(request, object_id)
        xml = _BUILDERS[self.model][1](document)
        return _xml_response(xml, f"{document.number}.xml")

    def xrechnung_download_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        document = self._document(request, object_id)
        try:
            xml = _BUILDERS[self.model][2](document)
        except XRechnungUnavailable as unavailable:
            messages.error(
                request,
                _("No XRechnung for %(number)s: it was issued without %(gaps)s.")
                % {
                    "number": document.number,
                    "gaps": "; ".join(str(gap) for gap in unavailable.gaps),
                },
            )
            meta = self.model._meta
            return redirect(f"admin:{meta.app_label}_{meta.model_name}_change", document.pk)
        return _xml_response(xml, xrechnung_filename(document.number))


def _xml_response(xml: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
