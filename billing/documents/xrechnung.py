"""XRechnung: the German CIUS of EN 16931, in its CII syntax, for German public buyers and the
businesses that ask for it.

The same builder as the Factur-X XML (billing/documents/einvoice.py) in the XRechnung 3.0 profile,
from the same frozen data. XRechnung asks more of that data than EN 16931 does (the BR-DE rules
and the Peppol rules it takes over), and a document issued without it cannot become a valid
XRechnung afterwards: `xrechnung_gaps` names what is missing, and the document is refused rather
than sent invalid."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from billing.documents.einvoice import (
    XRECHNUNG,
    buyer_electronic_address,
    buyer_reference,
    credit_note_cii_xml,
    invoice_cii_xml,
    party_addresses,
)
from billing.documents.models import CreditNote, Invoice
from billing.documents.selectors import customer_invoice_recipients
from contracts.models import LEGACY_NOT_TAXABLE, VatRegime

XRECHNUNG_SUFFIX = "xrechnung"  # file name: <number>-xrechnung.xml, beside <number>.xml


class XRechnungUnavailable(Exception):
    """The document's frozen data lacks what XRechnung requires; `gaps` says what."""

    def __init__(self, gaps: list[str]) -> None:
        super().__init__("; ".join(str(gap) for gap in gaps))
        self.gaps = gaps


def _buyer_email(document: Invoice | CreditNote) -> str:
    # BT-49 is where the buyer receives invoices now, not a fact of the sale: the current one.
    recipients = customer_invoice_recipients(document.customer)
    return recipients[0] if recipients else ""


def xrechnung_gaps(document: Invoice | CreditNote, *, buyer_email: str | None = None) -> list[str]:
    """What the document's frozen data lacks for a valid XRechnung, in words for the person
    who must supply it (empty: nothing is missing)."""
    seller, buyer = document.seller, document.buyer
    contact = seller.get("contact") or {}
    seller_address, buyer_address = party_addresses(seller, buyer)
    if buyer_email is None:
        buyer_email = _buyer_email(document)
    gaps = []
    if not all(contact.get(key) for key in ("name", "phone", "email")):
        # BR-DE-2, BR-DE-5 to 7 (and BT-34, the seller's electronic address)
        gaps.append(_("the business's contact person, phone number and e-mail address"))
    if not (seller_address.get("postal_code") and seller_address.get("city")):
        gaps.append(_("the business's postal code and city"))  # BR-DE-3, BR-DE-4
    invoice = document.invoice if isinstance(document, CreditNote) else document
    # BR-DE-16 asks for it under every VAT category but O (not subject to VAT).
    taxed = invoice.vat_regime not in (VatRegime.OUT_OF_SCOPE, LEGACY_NOT_TAXABLE)
    if taxed and not (seller.get("vat_id") or seller.get("tax_id")):
        gaps.append(_("the business's VAT number or tax number"))  # BR-DE-16
    if isinstance(document, Invoice) and not seller.get("iban"):
        gaps.append(_("the business's IBAN, for payment by bank transfer"))  # BR-DE-1
    if not (buyer_address.get("postal_code") and buyer_address.get("city")):
        gaps.append(_("the customer's postal code and city"))  # BR-DE-8, BR-DE-9
    if not buyer_reference(buyer, XRECHNUNG):
        # BR-DE-15
        gaps.append(_("the customer's buyer reference (Leitweg-ID) or PO number"))
    if buyer_electronic_address(buyer, buyer_email) is None:
        # PEPPOL-EN16931-R010, part of XRechnung 3.0
        gaps.append(_("an e-mail address where the customer receives invoices"))
    return gaps


def invoice_xrechnung_xml(invoice: Invoice) -> bytes:
    """The XRechnung (CII) of a finalized invoice; XRechnungUnavailable if its data lacks what
    XRechnung requires."""
    email = _buyer_email(invoice)
    gaps = xrechnung_gaps(invoice, buyer_email=email)
    if gaps:
        raise XRechnungUnavailable(gaps)
    return invoice_cii_xml(invoice, profile=XRECHNUNG, buyer_email=email)


def credit_note_xrechnung_xml(note: CreditNote) -> bytes:
    """The XRechnung (CII, type 381) of a credit note; XRechnungUnavailable as above."""
    email = _buyer_email(note)
    gaps = xrechnung_gaps(note, buyer_email=email)
    if gaps:
        raise XRechnungUnavailable(gaps)
    return credit_note_cii_xml(note, profile=XRECHNUNG, buyer_email=email)


def xrechnung_filename(number: str) -> str:
    return f"{number}-{XRECHNUNG_SUFFIX}.xml"
