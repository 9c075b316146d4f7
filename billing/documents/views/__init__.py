"""Portal pages of invoicing, by area: invoices and the recurring invoices (invoices), their
files (downloads), credits (credits), and the subscriptions app's pages that billing routes to
add invoices and prices with VAT (subscription_pages)."""

from billing.documents.views.credits import credit_overview
from billing.documents.views.downloads import (
    credit_note_by_link_pdf,
    credit_note_pdf_download,
    credit_note_xml_download,
    credit_note_xrechnung_download,
    invoice_pdf_download,
    invoice_xml_download,
    invoice_xrechnung_download,
)
from billing.documents.views.invoices import invoice_detail, invoice_list, recurring_invoices
from billing.documents.views.subscription_pages import (
    order_detail,
    order_list,
    subscription_detail,
    subscription_list,
)

__all__ = [
    "credit_note_by_link_pdf",
    "credit_note_pdf_download",
    "credit_note_xml_download",
    "credit_note_xrechnung_download",
    "credit_overview",
    "invoice_detail",
    "invoice_list",
    "invoice_pdf_download",
    "invoice_xml_download",
    "invoice_xrechnung_download",
    "order_detail",
    "order_list",
    "recurring_invoices",
    "subscription_detail",
    "subscription_list",
]
