"""Seller and buyer snapshots shown as the documents print them."""

from __future__ import annotations

from django.contrib import admin
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from billing.documents.models import CreditNote, Invoice

SELLER_LABELS = {
    "legal_name": "",
    "name": "",  # snapshots frozen before the legal form was kept have only the name
    "address": "",
    "country": "",
    "register_court": _("register court"),
    "register_number": _("register number"),
    "siren": "SIREN",
    "siret": "SIRET",
    "rcs_city": "RCS",
    "rea_number": "REA",
    "share_capital": _("share capital"),
    "managing_directors": _("managing directors"),
    "vat_id": _("VAT number"),
    "tax_id": _("other tax number"),
    "tax_office": _("tax office"),
    "registration_number": _("Registration number"),
    "iban": "IBAN",
    "bic": "BIC",
}
BUYER_LABELS = {  # the address lines start with the buyer's name
    "number": _("Customer number"),
    "address_lines": "",
    "vat_id": _("VAT number"),
    "tax_id": _("other tax number"),
    "siren": "SIREN",
    "buyer_reference": _("buyer reference"),
    "po_number": _("PO number"),
    "payment_terms_days": _("Payment terms (days)"),
}


def snapshot_html(snapshot: dict, labels: dict) -> str:
    """A frozen party, one line per value (labelled where a bare value would be unclear);
    "—" for a draft, which has none yet."""
    rows = []
    for key, label in labels.items():
        value = snapshot.get(key)
        if not value:
            continue
        if isinstance(value, list):
            value = "\n".join(value)
        rows.append(format_html("{}{}", f"{label}: " if label else "", value))
    return format_html_join(mark_safe("<br>"), "{}", ((linebreaksbr(r),) for r in rows)) or "—"


class PartiesShown:
    """Seller and buyer as the document prints them (frozen at finalization)."""

    @admin.display(description=_("Seller"))
    def seller_identity(self, document: Invoice | CreditNote) -> str:
        labels = SELLER_LABELS
        if document.seller.get("legal_name"):  # the name with its legal form, printed once
            labels = {key: label for key, label in labels.items() if key != "name"}
        return snapshot_html(document.seller, labels)

    @admin.display(description=_("Buyer"))
    def buyer_identity(self, document: Invoice | CreditNote) -> str:
        return snapshot_html(document.buyer, BUYER_LABELS)
