"""XRechnung (CII) per invoice and credit note: for German public buyers and the businesses that
ask for it, with the buyer reference; downloadable in the portal and the back office, attached
to the invoice e-mail of customers who chose it, valid against the CII XSD and the BR-DE rules."""

from datetime import date
from decimal import Decimal

import facturx
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from lxml import etree

from billing.documents.credit_notes import credit_note_issue
from billing.documents.einvoice import NS, XRECHNUNG_GUIDELINE, invoice_cii_xml
from billing.documents.emails import send_credit_note_issued, send_invoice_issued
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.documents.xrechnung import (
    XRechnungUnavailable,
    credit_note_xrechnung_xml,
    invoice_xrechnung_xml,
)
from billing.models import TaxRate
from contracts.models import EInvoiceFormat
from core.roles import SYSTEM
from tests.billing.en16931_rules import violations
from tests.billing.test_einvoice import SELLER, with_identity
from tests.conftest import client_for
from tests.helpers import assert_hidden_from_outsiders

pytestmark = pytest.mark.django_db

LEITWEG_ID = "991-12345-67"
GERMAN_PUBLIC_BUYER = {
    "billing_company": "Bezirksamt Mitte von Berlin",
    "billing_street": "Karl-Marx-Allee 31",
    "billing_postal_code": "10178",
    "billing_city": "Berlin",
    "billing_country": "DE",
    "buyer_reference": LEITWEG_ID,
    "invoice_recipients": ["rechnungen@bezirksamt.test"],
    "einvoice_format": EInvoiceFormat.XRECHNUNG,
}


def issued(world, *, buyer=GERMAN_PUBLIC_BUYER, regime="standard", lines=((Decimal("49"), None),)):
    TaxRate.objects.get_or_create(
        tenant=world.acme, name="Standard", defaults={"rate": Decimal("19"), "is_default": True}
    )
    with_identity(world.acme, SELLER)
    with_identity(world.alpha, {**buyer, "vat_regime": regime})
    invoice = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    for position, (unit_price, rate) in enumerate(lines, start=1):
        invoice_add_line(
            invoice=invoice,
            description=f"Service {position}",
            unit_price=unit_price,
            tax_rate=rate,
            actor=SYSTEM,
            service_start=date(2026, 3, 1),
            service_end=date(2026, 3, 31),
        )
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 1))


def text(root, path: str) -> str | None:
    return root.findtext(path, namespaces=NS)


def assert_valid_xrechnung(xml: bytes) -> None:
    # XRechnung CII is the same UN/CEFACT CII D16B syntax: the EN 16931 XSD applies.
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    assert violations(xml, xrechnung=True) == []


def test_an_invoice_to_a_german_public_buyer_is_a_valid_xrechnung(world):
    invoice = issued(world)
    xml = invoice_xrechnung_xml(invoice)
    assert_valid_xrechnung(xml)
    root = etree.fromstring(xml)
    assert text(root, ".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
        XRECHNUNG_GUIDELINE
    )
    assert text(root, ".//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference") == LEITWEG_ID
    # BT-49: the Leitweg-ID routes it (EAS 0204)
    uri = root.find(".//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID", NS)
    assert (uri.get("schemeID"), uri.text) == ("0204", LEITWEG_ID)
    means = root.find(".//ram:SpecifiedTradeSettlementPaymentMeans", NS)
    assert text(means, "ram:TypeCode") == "58"
    assert text(means, ".//ram:IBANID") == SELLER["iban"]
    contact = root.find(".//ram:SellerTradeParty/ram:DefinedTradeContact", NS)
    assert text(contact, "ram:PersonName") == SELLER["contact_name"]
    assert text(contact, ".//ram:CompleteNumber") == SELLER["contact_phone"]
    assert text(contact, ".//ram:URIID") == SELLER["contact_email"]


def test_the_factur_x_xml_stays_as_it_was(world):
    invoice = issued(world)
    root = etree.fromstring(invoice_cii_xml(invoice))
    assert text(root, ".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
        "urn:cen.eu:en16931:2017"
    )
    assert root.find(".//ram:BusinessProcessSpecifiedDocumentContextParameter", NS) is None
    assert root.find(".//ram:BuyerTradeParty/ram:URIUniversalCommunication", NS) is None


def test_a_business_without_leitweg_id_gives_its_po_number_and_e_mail(world):
    buyer = {
        **GERMAN_PUBLIC_BUYER,
        "billing_company": "Muster GmbH",
        "buyer_reference": "",
        "po_number": "PO-4711",
        "invoice_recipients": ["ap@muster.test"],
    }
    root = etree.fromstring(invoice_xrechnung_xml(issued(world, buyer=buyer)))
    assert text(root, ".//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference") == "PO-4711"
    uri = root.find(".//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID", NS)
    assert (uri.get("schemeID"), uri.text) == ("EM", "ap@muster.test")


def test_a_multi_rate_invoice_is_a_valid_xrechnung(world):
    invoice = issued(
        world, lines=((Decimal("12.50"), Decimal("19")), (Decimal("80"), Decimal("7")))
    )
    assert_valid_xrechnung(invoice_xrechnung_xml(invoice))


def test_a_reverse_charge_invoice_is_a_valid_xrechnung(world):
    buyer = {
        **GERMAN_PUBLIC_BUYER,
        "billing_company": "Umbrella S.p.A.",
        "billing_postal_code": "20121",
        "billing_city": "Milano",
        "billing_country": "IT",
        "vat_id": "IT00743110157",
        "buyer_reference": "UMB-2026",
    }
    xml = invoice_xrechnung_xml(issued(world, buyer=buyer, regime="reverse_charge"))
    assert_valid_xrechnung(xml)
    assert etree.fromstring(xml).findtext(f".//{{{NS['ram']}}}CategoryCode") == "AE"


def test_an_out_of_scope_invoice_states_a_zero_rate_in_its_breakdown(world):
    # BR-DE-14 wants BT-119 on every breakdown row, 0 for O; the O line still has none (BR-O-05).
    xml = invoice_xrechnung_xml(
        issued(world, buyer={**GERMAN_PUBLIC_BUYER, "billing_country": "CH"}, regime="out_of_scope")
    )
    assert_valid_xrechnung(xml)
    root = etree.fromstring(xml)
    row = root.find(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    assert (text(row, "ram:CategoryCode"), text(row, "ram:RateApplicablePercent")) == ("O", "0")
    line_tax = root.find(".//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax", NS)
    assert line_tax.find("ram:RateApplicablePercent", NS) is None


@pytest.mark.parametrize("settlement", ["credit", "refund"])
def test_a_credit_note_is_a_valid_xrechnung_type_381(world, settlement):
    invoice = issued(world)
    note = credit_note_issue(
        invoice=invoice, actor=SYSTEM, today=date(2026, 3, 20), reason="Wrong customer"
    )
    note.settlement = settlement  # as a refund would have issued it (issued notes are locked)
    xml = credit_note_xrechnung_xml(note)
    assert_valid_xrechnung(xml)
    root = etree.fromstring(xml)
    assert text(root, ".//rsm:ExchangedDocument/ram:TypeCode") == "381"
    # BR-DE-1 on a document that asks for no payment: settled between the parties, or refunded
    assert text(root, ".//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == (
        "97" if settlement == "credit" else "1"
    )
    assert root.find(".//ram:PayeePartyCreditorFinancialAccount", NS) is None


def test_a_document_issued_without_what_xrechnung_needs_is_refused_with_the_reasons(world):
    buyer = {**GERMAN_PUBLIC_BUYER, "einvoice_format": "facturx", "buyer_reference": ""}
    invoice = issued(world, buyer=buyer)
    # as if issued before the business recorded its phone number (issued invoices are locked)
    invoice.seller = {**invoice.seller, "contact": {**invoice.seller["contact"], "phone": ""}}
    with pytest.raises(XRechnungUnavailable) as refused:
        invoice_xrechnung_xml(invoice)
    gaps = [str(gap) for gap in refused.value.gaps]
    assert gaps == [
        "the business's contact person, phone number and e-mail address",
        "the customer's buyer reference (Leitweg-ID) or PO number",
    ]


# --- the customer portal ---------------------------------------------------------------------


def test_the_customer_downloads_the_xrechnung_of_an_invoice(world):
    invoice = issued(world)
    path = reverse("invoice_xrechnung", args=[invoice.pk])
    assert path == f"/invoices/{invoice.pk}/xrechnung"
    response = world.client(world.alice).get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert (
        f'attachment; filename="{invoice.number}-xrechnung.xml"' == response["Content-Disposition"]
    )
    assert response.content == invoice_xrechnung_xml(invoice)
    assert_valid_xrechnung(response.content)
    page = world.client(world.alice).get(reverse("invoice_detail", args=[invoice.pk]))
    assert f'href="{path}"'.encode() in page.content
    assert f'href="/invoices/{invoice.pk}/xml"'.encode() in page.content


def test_outsiders_get_404_and_strangers_are_sent_to_log_in(world):
    invoice = issued(world)
    path = reverse("invoice_xrechnung", args=[invoice.pk])
    assert_hidden_from_outsiders(world, path)
    anonymous = client_for(None, world.acme).get(path)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_the_customer_downloads_a_credit_notes_xrechnung_and_outsiders_get_404(world):
    invoice = issued(world)
    note = credit_note_issue(
        invoice=invoice, actor=SYSTEM, today=date(2026, 3, 20), reason="Wrong customer"
    )
    path = reverse("credit_note_xrechnung", args=[note.pk])
    assert path == f"/invoices/credit-notes/{note.pk}/xrechnung"
    response = world.client(world.alice).get(path)
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    assert f'filename="{note.number}-xrechnung.xml"' in response["Content-Disposition"]
    assert_valid_xrechnung(response.content)
    assert f'href="{path}"'.encode() in world.client(world.alice).get("/invoices/").content
    assert_hidden_from_outsiders(world, path)
    assert client_for(None, world.acme).get(path).status_code == 302


def test_a_document_that_cannot_be_an_xrechnung_explains_why_in_the_customers_language(world):
    buyer = {**GERMAN_PUBLIC_BUYER, "einvoice_format": "facturx", "buyer_reference": ""}
    invoice = issued(world, buyer=buyer)
    response = world.client(world.alice).get(
        reverse("invoice_xrechnung", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "XRechnung not available" in body
    assert "buyer reference (Leitweg-ID) or PO number" in body
    # Customers who did not choose XRechnung are not offered it.
    page = world.client(world.alice).get(reverse("invoice_detail", args=[invoice.pk]))
    assert b"/xrechnung" not in page.content


# --- the back office ----------------------------------------------------------------------------


def test_the_back_office_offers_pdf_factur_x_xml_and_xrechnung_side_by_side(world):
    invoice = issued(world)
    staff = client_for(world.staff["acme", "support"], world.acme)
    base = f"/manage/billing/invoice/{invoice.pk}"
    page = staff.get(f"{base}/change/").content.decode()
    for kind, label in (("pdf", "PDF"), ("xml", "Factur-X XML"), ("xrechnung", "XRechnung XML")):
        assert f'<a href="{base}/{kind}/">{label}</a>' in page
    pdf = staff.get(f"{base}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    xml = staff.get(f"{base}/xml/")
    assert xml.status_code == 200 and xml.content == invoice_cii_xml(invoice)
    xrechnung = staff.get(f"{base}/xrechnung/")
    assert xrechnung.status_code == 200
    assert xrechnung.content == invoice_xrechnung_xml(invoice)
    # Another business's staff never reach it.
    other = client_for(world.staff["globex", "owner"], world.globex)
    assert other.get(f"{base}/xrechnung/").status_code == 404


def test_the_back_office_offers_a_credit_notes_three_files(world):
    invoice = issued(world)
    note = credit_note_issue(
        invoice=invoice, actor=SYSTEM, today=date(2026, 3, 20), reason="Wrong customer"
    )
    staff = client_for(world.staff["acme", "support"], world.acme)
    base = f"/manage/billing/creditnote/{note.pk}"
    page = staff.get(f"{base}/change/").content.decode()
    for kind in ("pdf", "xml", "xrechnung"):
        assert f'href="{base}/{kind}/"' in page
        assert staff.get(f"{base}/{kind}/").status_code == 200


def test_the_back_office_says_why_a_document_has_no_xrechnung(world):
    buyer = {**GERMAN_PUBLIC_BUYER, "einvoice_format": "facturx", "buyer_reference": ""}
    invoice = issued(world, buyer=buyer)
    staff = client_for(world.staff["acme", "support"], world.acme)
    response = staff.get(f"/manage/billing/invoice/{invoice.pk}/xrechnung/", follow=True)
    assert response.redirect_chain[-1][0] == f"/manage/billing/invoice/{invoice.pk}/change/"
    assert "buyer reference (Leitweg-ID) or PO number" in response.content.decode()


# --- the customer's choice and the e-mail ---------------------------------------------------------


def test_xrechnung_customers_get_the_xml_attached_to_the_invoice_e_mail(world):
    invoice = issued(world)
    assert send_invoice_issued(invoice.pk)
    (message,) = mail.outbox
    names = [name for name, _content, _type in message.attachments]
    assert names == [f"{invoice.number}.pdf", f"{invoice.number}-xrechnung.xml"]
    assert message.attachments[1][1] == invoice_xrechnung_xml(invoice)


def test_xrechnung_customers_get_the_xml_attached_to_the_credit_note_e_mail_too(world):
    invoice = issued(world)
    assert send_invoice_issued(invoice.pk)
    note = credit_note_issue(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 20), reason="x")
    mail.outbox.clear()
    assert send_credit_note_issued(note.pk)
    (message,) = mail.outbox
    names = [name for name, _content, _type in message.attachments]
    assert names == [f"{note.number}.pdf", f"{note.number}-xrechnung.xml"]
    assert message.attachments[1][1] == credit_note_xrechnung_xml(note)


def test_factur_x_customers_get_the_pdf_alone(world):
    invoice = issued(world, buyer={**GERMAN_PUBLIC_BUYER, "einvoice_format": "facturx"})
    assert send_invoice_issued(invoice.pk)
    (message,) = mail.outbox
    assert [name for name, _c, _t in message.attachments] == [f"{invoice.number}.pdf"]


def test_choosing_xrechnung_needs_a_buyer_reference_and_the_postal_code_and_city(world):
    customer = world.alpha
    customer.einvoice_format = EInvoiceFormat.XRECHNUNG
    customer.buyer_reference = customer.po_number = ""
    customer.billing_postal_code = ""
    customer.billing_city = ""
    with pytest.raises(ValidationError) as refused:
        customer.full_clean()
    assert set(refused.value.message_dict) >= {"buyer_reference", "billing_city"}
    customer.po_number = "PO-1"
    customer.billing_postal_code, customer.billing_city = "10115", "Berlin"
    customer.full_clean()


def test_staff_choose_the_e_invoice_format_in_the_back_office(world):
    from tests.helpers import admin_form_data

    staff = client_for(world.staff["acme", "billing"], world.acme)
    change = f"/manage/contracts/customer/{world.alpha.pk}/change/"
    page = staff.get(change)
    assert b'name="einvoice_format"' in page.content
    data = admin_form_data(
        page,
        einvoice_format="xrechnung",
        buyer_reference=LEITWEG_ID,
        billing_postal_code="10178",
        billing_city="Berlin",
    )
    assert staff.post(change, data).status_code == 302
    world.alpha.refresh_from_db()
    assert world.alpha.einvoice_format == EInvoiceFormat.XRECHNUNG
