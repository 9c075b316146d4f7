"""Every invoice is an EN 16931 e-invoice: its CII XML passes the Factur-X XSD and the EN 16931
business rules on totals, the invoice PDF carries it (Factur-X), and the customer downloads it."""

import io
from datetime import date
from decimal import Decimal

import facturx
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from billing.documents.credit_notes import credit_note_issue
from billing.documents.einvoice import NS, credit_note_cii_xml, invoice_cii_xml
from billing.documents.pdf import credit_note_pdf, invoice_pdf, write_pdf
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import Invoice, TaxRate
from core.money import round_money
from core.roles import SYSTEM
from tests.helpers import assert_hidden_from_outsiders, pdf_text

pytestmark = pytest.mark.django_db

SELLER = {
    "legal_name": "Acme Software",
    "legal_form": "GmbH",
    "address_line_1": "Hauptstraße 1",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "DE",
    "vat_id": "DE136695976",
    "tax_id": "18181508155",
    "register_court": "Amtsgericht Berlin-Charlottenburg",
    "register_number": "HRB 123456 B",
    "contact_name": "Buchhaltung",
    "contact_email": "billing@acme.test",
    "contact_phone": "+49 30 1234567",
    "bank_account_holder": "Acme Software GmbH",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
}
BUYER = {
    "billing_company": "Umbrella S.p.A.",
    "billing_street": "Via Roma 1",
    "billing_postal_code": "20121",
    "billing_city": "Milano",
    "billing_country": "IT",
    "vat_id": "IT00743110157",
    "buyer_reference": "04011000-12345-67",
}


def with_identity(obj, fields: dict):
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    return obj


def finalized(
    world, *, regime: str = "standard", lines=((Decimal("49"), None),), buyer: dict | None = None
) -> Invoice:
    """An invoice of acme to alpha, one line per (unit price, VAT rate or the default 19 %)."""
    TaxRate.objects.get_or_create(
        tenant=world.acme, name="Standard", defaults={"rate": Decimal("19"), "is_default": True}
    )
    with_identity(world.acme, SELLER)
    with_identity(world.alpha, {**BUYER, **(buyer or {}), "vat_regime": regime})
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


def parsed(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def amounts(root, path: str) -> list[Decimal]:
    return [Decimal(node.text) for node in root.xpath(path, namespaces=NS)]


def amount(root, path: str) -> Decimal:
    (value,) = amounts(root, path)
    return value


SUMMATION = (
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/"
    "ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
)
BREAKDOWN = (
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/"
    "ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
)
LINE_NETS = (
    "//ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement/"
    "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
)


def assert_en16931_totals(root, currency: str = "EUR") -> None:
    """The EN 16931 rules that tie the totals together, on the document as emitted."""
    line_total = amount(root, SUMMATION + "ram:LineTotalAmount")  # BT-106
    tax_basis = amount(root, SUMMATION + "ram:TaxBasisTotalAmount")  # BT-109
    tax_total = amount(root, SUMMATION + "ram:TaxTotalAmount")  # BT-110
    grand_total = amount(root, SUMMATION + "ram:GrandTotalAmount")  # BT-112
    allowances = sum(amounts(root, SUMMATION + "ram:AllowanceTotalAmount"), Decimal(0))
    charges = sum(amounts(root, SUMMATION + "ram:ChargeTotalAmount"), Decimal(0))
    assert root.xpath("count(//ram:IncludedSupplyChainTradeLineItem)", namespaces=NS) >= 1  # BR-16
    assert sum(amounts(root, LINE_NETS)) == line_total  # BR-CO-10
    assert tax_basis == line_total - allowances + charges  # BR-CO-13
    assert tax_total == sum(amounts(root, BREAKDOWN + "/ram:CalculatedAmount"))  # BR-CO-14
    assert grand_total == tax_basis + tax_total  # BR-CO-15
    assert amount(root, SUMMATION + "ram:DuePayableAmount") == grand_total  # BT-115, nothing paid


def breakdown(root) -> list[dict]:
    rows = []
    for node in root.xpath(BREAKDOWN, namespaces=NS):
        rate = node.findtext("ram:RateApplicablePercent", namespaces=NS)
        rows.append(
            {
                "category": node.findtext("ram:CategoryCode", namespaces=NS),
                "rate": None if rate is None else Decimal(rate),
                "basis": Decimal(node.findtext("ram:BasisAmount", namespaces=NS)),
                "tax": Decimal(node.findtext("ram:CalculatedAmount", namespaces=NS)),
                "reason_code": node.findtext("ram:ExemptionReasonCode", namespaces=NS),
            }
        )
    return rows


def assert_valid_xsd(xml: bytes) -> None:
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True


def test_a_standard_vat_invoice_is_a_valid_en16931_invoice(world):
    invoice = finalized(world)
    xml = invoice_cii_xml(invoice)
    assert_valid_xsd(xml)
    root = parsed(xml)
    assert_en16931_totals(root)
    assert root.findtext(".//rsm:ExchangedDocument/ram:ID", namespaces=NS) == invoice.number
    assert (
        root.findtext(".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", namespaces=NS)
        == "urn:cen.eu:en16931:2017"
    )
    assert breakdown(root) == [
        {
            "category": "S",
            "rate": Decimal(19),
            "basis": Decimal("49.00"),
            "tax": Decimal("9.31"),
            "reason_code": None,
        }
    ]
    assert amount(root, SUMMATION + "ram:GrandTotalAmount") == invoice.gross_amount
    # The parties and the payment as frozen at finalization.
    assert root.findtext(".//ram:SellerTradeParty/ram:Name", namespaces=NS) == (
        "Acme Software GmbH"
    )
    assert root.findtext(".//ram:BuyerReference", namespaces=NS) == "04011000-12345-67"
    assert root.findtext(".//ram:BuyerTradeParty//ram:CountryID", namespaces=NS) == "IT"
    assert root.findtext(".//ram:PaymentReference", namespaces=NS) == invoice.number
    assert (
        root.findtext(".//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode", namespaces=NS)
        == "58"
    )
    assert root.findtext(".//ram:IBANID", namespaces=NS) == "DE89370400440532013000"
    assert root.findtext(".//ram:DueDateDateTime/udt:DateTimeString", namespaces=NS) == (
        invoice.due_date.strftime("%Y%m%d")
    )
    assert (
        root.findtext(
            ".//ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString", namespaces=NS
        )
        == "20260301"
    )


def test_a_reverse_charge_invoice_is_category_ae_at_zero_with_both_vat_ids(world):
    invoice = finalized(world, regime="reverse_charge")
    xml = invoice_cii_xml(invoice)
    assert_valid_xsd(xml)
    root = parsed(xml)
    assert_en16931_totals(root)
    # BR-AE-02/05/06/08/10: category AE at 0 %, no tax, an exemption reason, both VAT ids.
    (row,) = breakdown(root)
    assert (row["category"], row["rate"], row["tax"]) == ("AE", Decimal(0), Decimal(0))
    assert row["basis"] == Decimal("49.00")
    assert row["reason_code"] == "VATEX-EU-AE"
    assert root.xpath(f"{BREAKDOWN}/ram:ExemptionReason/text()", namespaces=NS)
    line_categories = root.xpath(
        "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode/text()",
        namespaces=NS,
    )
    assert line_categories == ["AE"]
    vat_ids = root.xpath(
        "//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']/text()", namespaces=NS
    )
    assert vat_ids == ["DE136695976", "IT00743110157"]


def test_an_out_of_scope_invoice_is_category_o_without_rate_or_vat_ids(world):
    # Art. 44: the buyer is established outside the EU.
    invoice = finalized(world, regime="out_of_scope", buyer={"billing_country": "CH"})
    xml = invoice_cii_xml(invoice)
    assert_valid_xsd(xml)
    root = parsed(xml)
    assert_en16931_totals(root)
    (row,) = breakdown(root)
    assert (row["category"], row["rate"], row["tax"]) == ("O", None, Decimal(0))
    assert not root.xpath("//ram:ID[@schemeID='VA']", namespaces=NS)  # BR-O-02


def test_a_two_rate_invoice_breaks_vat_down_per_rate_computed_once_per_rate(world):
    # 3 × 12.50 at 7 %: 0.875 per line would round to 3 × 0.88; on the rate's basis it is 2.63.
    invoice = finalized(
        world,
        lines=(
            (Decimal("100.00"), Decimal("19")),
            (Decimal("12.50"), Decimal("7")),
            (Decimal("12.50"), Decimal("7")),
            (Decimal("12.50"), Decimal("7")),
        ),
    )
    xml = invoice_cii_xml(invoice)
    assert_valid_xsd(xml)
    root = parsed(xml)
    assert_en16931_totals(root)
    assert breakdown(root) == [
        {
            "category": "S",
            "rate": Decimal(19),
            "basis": Decimal("100.00"),
            "tax": Decimal("19.00"),
            "reason_code": None,
        },
        {
            "category": "S",
            "rate": Decimal(7),
            "basis": Decimal("37.50"),
            "tax": Decimal("2.63"),
            "reason_code": None,
        },
    ]
    # BR-CO-17 on every row, and the totals are the invoice's as stored.
    for row in breakdown(root):
        assert row["tax"] == round_money(row["basis"] * row["rate"] / 100, "EUR")
    assert amount(root, SUMMATION + "ram:TaxTotalAmount") == invoice.tax_amount
    assert amount(root, SUMMATION + "ram:GrandTotalAmount") == invoice.gross_amount


def test_an_old_invoice_summed_per_line_keeps_its_stored_tax(world):
    invoice = finalized(world, lines=((Decimal("12.50"), Decimal("19")),) * 3)
    # Finalized under the per-line rule: 3 × 2.38 = 7.14 stored, where 37.50 × 19 % is 7.13.
    lines = list(invoice.lines.all())
    for line in lines:
        line.tax_amount = Decimal("2.38")
    invoice.tax_amount, invoice.gross_amount = Decimal("7.14"), Decimal("44.64")
    xml = invoice_cii_xml(invoice, lines)
    root = parsed(xml)
    assert_valid_xsd(xml)
    assert_en16931_totals(root)
    assert breakdown(root)[0]["tax"] == Decimal("7.14")
    assert amount(root, SUMMATION + "ram:GrandTotalAmount") == Decimal("44.64")


def test_an_invoice_frozen_before_the_structured_fields_still_gives_valid_xml(world):
    invoice = finalized(world)
    invoice.seller = {
        "name": "Altfirma GmbH",
        "address": "Altstraße 5\n12345 Altstadt",
        "vat_id": "DE811907980",
        "registration_number": "HRB 999 Altstadt",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
    }
    invoice.buyer = {
        "name": "Umbrella",
        "address_lines": ["Umbrella", "Via Roma 1", "20121 Milano"],
        "vat_id": "IT00743110157",
        "language": "en",
        "payment_terms_days": 14,
    }
    root = parsed(invoice_cii_xml(invoice))
    assert_valid_xsd(invoice_cii_xml(invoice))
    assert root.findtext(".//ram:SellerTradeParty//ram:LineOne", namespaces=NS) == "Altstraße 5"
    assert root.findtext(".//ram:SellerTradeParty//ram:CountryID", namespaces=NS) == "DE"
    assert root.findtext(".//ram:BuyerTradeParty//ram:LineOne", namespaces=NS) == "Via Roma 1"


def test_a_draft_has_no_e_invoice(world):
    draft = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    with pytest.raises(ValueError):
        invoice_cii_xml(draft)


def test_the_stored_invoice_pdf_is_a_factur_x_file_that_still_reads_as_the_invoice(world):
    invoice = invoice_pdf(finalized(world))
    content = invoice.pdf.open("rb").read()
    filename, xml = facturx.get_facturx_xml_from_pdf(content, check_xsd=True)
    assert filename == "factur-x.xml"
    assert xml == invoice_cii_xml(invoice)
    metadata = PdfReader(io.BytesIO(content)).trailer["/Root"]["/Metadata"].get_data().decode()
    assert 'pdfaid:part="3" pdfaid:conformance="B"' in metadata  # PDF/A-3b
    for element in (
        "<fx:DocumentType>INVOICE</fx:DocumentType>",
        "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>",
        "<fx:Version>1.0</fx:Version>",
        "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>",
    ):
        assert element in metadata
    text = " ".join(pdf_text(content).split())
    assert invoice.number in text
    assert "Service 1" in text


def test_the_customer_downloads_the_xml_of_an_invoice(world):
    invoice = finalized(world)
    response = world.client(world.alice).get(reverse("invoice_xml", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert f'filename="{invoice.number}.xml"' in response["Content-Disposition"]
    assert response.content == invoice_cii_xml(invoice)
    # The same XML the stored PDF carries.
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as f:
        assert facturx.get_facturx_xml_from_pdf(f.read())[1] == response.content


def test_an_invoice_stored_before_factur_x_gets_its_xml_built_from_its_frozen_data(world):
    invoice = finalized(world)
    plain = write_pdf("<p>Invoice stored before Factur-X</p>")
    invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(plain), save=False)
    Invoice.objects.filter(pk=invoice.pk).update(pdf=invoice.pdf.name)
    response = world.client(world.alice).get(reverse("invoice_xml", args=[invoice.pk]))
    assert response.status_code == 200
    assert response.content == invoice_cii_xml(invoice)


def test_the_invoice_page_links_the_xml_beside_the_pdf(world):
    invoice = finalized(world)
    page = world.client(world.alice).get(reverse("invoice_detail", args=[invoice.pk]))
    assert f'href="/invoices/{invoice.pk}/xml"'.encode() in page.content


def test_another_customer_or_tenant_gets_404_for_the_xml(world):
    invoice = finalized(world)
    path = reverse("invoice_xml", args=[invoice.pk])
    assert_hidden_from_outsiders(world, path)


# --- credit notes ---------------------------------------------------------------------------------

REFERENCED = (
    "./rsm:SupplyChainTradeTransaction/"
    "ram:ApplicableHeaderTradeSettlement/ram:InvoiceReferencedDocument/"
)


def assert_credit_note_of(root, note, invoice) -> None:
    assert root.findtext(".//rsm:ExchangedDocument/ram:ID", namespaces=NS) == note.number
    assert root.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
    assert root.findtext(
        ".//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", namespaces=NS
    ) == note.issue_date.strftime("%Y%m%d")
    assert root.findtext(REFERENCED + "ram:IssuerAssignedID", namespaces=NS) == invoice.number
    assert root.findtext(
        REFERENCED + "ram:FormattedIssueDateTime/qdt:DateTimeString", namespaces=NS
    ) == invoice.issue_date.strftime("%Y%m%d")
    # A 381 document states what is credited in positive amounts, equal to the note's.
    assert amount(root, SUMMATION + "ram:TaxTotalAmount") == note.tax_amount
    assert amount(root, SUMMATION + "ram:GrandTotalAmount") == note.gross_amount > 0
    assert all(net > 0 for net in amounts(root, LINE_NETS))


def test_a_full_credit_note_is_a_valid_en16931_credit_note_referencing_its_invoice(world):
    invoice = finalized(
        world, lines=((Decimal("100.00"), Decimal("19")), (Decimal("12.50"), Decimal("7")))
    )
    note = credit_note_issue(
        invoice=invoice, actor=SYSTEM, today=date(2026, 3, 20), reason="Wrong customer"
    )
    xml = credit_note_cii_xml(note)
    assert_valid_xsd(xml)
    root = parsed(xml)
    assert_en16931_totals(root)  # BR-CO-10/13/14/15, BT-115 = gross
    assert_credit_note_of(root, note, invoice)
    assert [
        (row["category"], row["rate"], row["basis"], row["tax"]) for row in breakdown(root)
    ] == [
        ("S", Decimal(19), Decimal("100.00"), Decimal("19.00")),
        ("S", Decimal(7), Decimal("12.50"), Decimal("0.88")),
    ]
    # The same parties as the invoice, and no request for payment to the seller's account.
    assert root.findtext(".//ram:SellerTradeParty/ram:Name", namespaces=NS) == "Acme Software GmbH"
    assert root.findtext(".//ram:BuyerReference", namespaces=NS) == "04011000-12345-67"
    assert not root.xpath("//ram:SpecifiedTradeSettlementPaymentMeans", namespaces=NS)
    assert "Wrong customer" in root.xpath("//ram:IncludedNote/ram:Content/text()", namespaces=NS)


def test_a_partial_reverse_charge_credit_note_is_valid_and_category_ae(world):
    invoice = finalized(world, regime="reverse_charge", lines=((Decimal("33.33"), None),) * 2)
    first = invoice.lines.order_by("position", "id").first()
    note = credit_note_issue(
        invoice=invoice,
        actor=SYSTEM,
        today=date(2026, 3, 20),
        reason="Service 1 not delivered",
        quantities={first.pk: Decimal(1)},
    )
    xml = credit_note_cii_xml(note)
    assert_valid_xsd(xml)
    root = parsed(xml)
    assert_en16931_totals(root)
    assert_credit_note_of(root, note, invoice)
    (row,) = breakdown(root)
    assert (row["category"], row["rate"], row["basis"], row["tax"]) == (
        "AE",
        Decimal(0),
        Decimal("33.33"),
        Decimal(0),
    )
    assert (
        amount(root, SUMMATION + "ram:GrandTotalAmount") == Decimal("33.33") < invoice.gross_amount
    )
    # The credited line keeps its invoice line's service period.
    assert (
        root.findtext(
            ".//ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString", namespaces=NS
        )
        == "20260301"
    )


def test_the_stored_credit_note_pdf_is_a_factur_x_file_that_still_reads_as_the_note(world):
    invoice = finalized(world)
    note = credit_note_issue(
        invoice=invoice, actor=SYSTEM, today=date(2026, 3, 20), reason="Wrong customer"
    )
    note = credit_note_pdf(note)
    content = note.pdf.open("rb").read()
    filename, xml = facturx.get_facturx_xml_from_pdf(content, check_xsd=True)
    assert filename == "factur-x.xml"
    assert xml == credit_note_cii_xml(note)
    assert parsed(xml).findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
    metadata = PdfReader(io.BytesIO(content)).trailer["/Root"]["/Metadata"].get_data().decode()
    assert 'pdfaid:part="3" pdfaid:conformance="B"' in metadata
    assert "<fx:DocumentType>INVOICE</fx:DocumentType>" in metadata  # Factur-X 1.0: for both
    text = " ".join(pdf_text(content).split())
    assert note.number in text
    assert invoice.number in text


def test_the_customer_downloads_a_credit_notes_xml_and_outsiders_get_404(world):
    invoice = finalized(world)
    note = credit_note_issue(
        invoice=invoice, actor=SYSTEM, today=date(2026, 3, 20), reason="Wrong customer"
    )
    path = reverse("credit_note_xml", args=[note.pk])
    response = world.client(world.alice).get(path)
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    assert f'filename="{note.number}.xml"' in response["Content-Disposition"]
    note.refresh_from_db()
    with note.pdf.open("rb") as f:  # the XML its stored PDF carries
        assert facturx.get_facturx_xml_from_pdf(f.read())[1] == response.content
    page = world.client(world.alice).get(reverse("invoices"))  # its list of credit notes
    assert f'href="{path}"'.encode() in page.content
    assert_hidden_from_outsiders(world, path)
