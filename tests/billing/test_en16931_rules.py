"""The EN 16931 business rules (tests/billing/en16931_rules.py) over the XML Kontor issues, in
both profiles, for the VAT regimes there are; and proof that each checked rule can fail, on
copies of that XML broken on purpose."""

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from billing.documents.credit_notes import credit_note_issue
from billing.documents.einvoice import NS, credit_note_cii_xml, invoice_cii_xml
from billing.documents.xrechnung import credit_note_xrechnung_xml, invoice_xrechnung_xml
from core.roles import SYSTEM
from tests.billing.en16931_rules import violations
from tests.billing.test_xrechnung import GERMAN_PUBLIC_BUYER, issued

pytestmark = pytest.mark.django_db

EU_BUSINESS = {
    **GERMAN_PUBLIC_BUYER,
    "billing_company": "Umbrella S.p.A.",
    "billing_postal_code": "20121",
    "billing_city": "Milano",
    "billing_country": "IT",
    "vat_id": "IT00743110157",
    "buyer_reference": "UMB-2026",
}
SWISS_BUSINESS = {
    **GERMAN_PUBLIC_BUYER,
    "billing_company": "Fabrikam AG",
    "billing_street": "Bahnhofstrasse 10",
    "billing_postal_code": "8001",
    "billing_city": "Zürich",
    "billing_country": "CH",
    "buyer_reference": "FAB-2026",
}
TWO_RATES = ((Decimal("12.50"), Decimal("19")), (Decimal("80"), Decimal("7")))
MANY_LINES = tuple((Decimal(price), Decimal("19")) for price in ("0.99", "12.50", "3.33", "7.77"))

CASES = {
    "standard": {},
    "two rates": {"lines": TWO_RATES},
    "many lines, one rate": {"lines": MANY_LINES},
    "reverse charge": {"buyer": EU_BUSINESS, "regime": "reverse_charge"},
    "out of scope": {"buyer": SWISS_BUSINESS, "regime": "out_of_scope"},
    "export": {"buyer": SWISS_BUSINESS, "regime": "export"},
    "intra-EU goods": {"buyer": EU_BUSINESS, "regime": "intra_eu_goods"},
    "exempt": {
        "buyer": {**GERMAN_PUBLIC_BUYER, "vat_exemption_reason": "VATEX-EU-132-1C"},
        "regime": "exempt",
    },
}


@pytest.mark.parametrize("case", CASES)
def test_invoices_keep_the_rules_in_both_profiles(world, case):
    invoice = issued(world, **CASES[case])
    assert violations(invoice_cii_xml(invoice)) == []
    assert violations(invoice_xrechnung_xml(invoice), xrechnung=True) == []


@pytest.mark.parametrize("case", CASES)
def test_credit_notes_keep_the_rules_in_both_profiles(world, case):
    invoice = issued(world, **CASES[case])
    note = credit_note_issue(
        invoice=invoice, actor=SYSTEM, today=date(2026, 3, 20), reason="Wrong customer"
    )
    assert violations(credit_note_cii_xml(note)) == []
    assert violations(credit_note_xrechnung_xml(note), xrechnung=True) == []


# --- the checker catches what it should ---------------------------------------------------------


def broken(xml: bytes, path: str, change) -> bytes:
    root = etree.fromstring(xml)
    (node,) = root.xpath(path, namespaces=NS)
    change(node)
    return etree.tostring(root)


def set_text(value: str):
    def change(node):
        node.text = value

    return change


def remove(node):
    node.getparent().remove(node)


SUMMATION = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
ROW = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"

BREAKAGES = [
    ("BR-CO-10", SUMMATION + "ram:LineTotalAmount", set_text("1.00")),
    ("BR-CO-13", SUMMATION + "ram:TaxBasisTotalAmount", set_text("1.00")),
    ("BR-CO-14", SUMMATION + "ram:TaxTotalAmount", set_text("1.00")),
    ("BR-CO-15", SUMMATION + "ram:GrandTotalAmount", set_text("1.00")),
    ("BR-CO-17", ROW + "/ram:CalculatedAmount", set_text("9.30")),
    ("BR-S-08", ROW + "/ram:BasisAmount", set_text("48.00")),
    (
        "BR-S-10",
        ROW + "/ram:CategoryCode",
        lambda n: n.addprevious(etree.Element(f"{{{NS['ram']}}}ExemptionReason")),
    ),
    ("BR-16", "//ram:IncludedSupplyChainTradeLineItem", remove),
    (
        "BR-S-02",
        "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration[ram:ID/@schemeID='VA']",
        remove,
    ),
]


@pytest.mark.parametrize(("rule", "path", "change"), BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_the_checker_finds_a_broken_en16931_rule(world, rule, path, change):
    invoice = issued(world)
    xml = invoice_cii_xml(invoice)
    if rule == "BR-S-02":  # the seller's tax number (FC) would still identify it
        xml = broken(xml, "//ram:SpecifiedTaxRegistration[ram:ID/@schemeID='FC']", remove)
    found = violations(broken(xml, path, change))
    assert any(v.startswith(rule + ":") for v in found), found


def test_the_checker_finds_a_breakdown_category_that_its_lines_lack(world):
    xml = invoice_cii_xml(issued(world, regime="reverse_charge", buyer=EU_BUSINESS))
    found = violations(broken(xml, ROW + "/ram:CategoryCode", set_text("S")))
    assert any(v.startswith("BR-AE-01:") for v in found), found
    found = violations(broken(xml, ROW + "/ram:ExemptionReasonCode", remove))
    assert violations(xml) == [] and found == []  # the reason text alone suffices (BR-AE-10)


def test_the_checker_finds_an_o_invoice_with_a_vat_id(world):
    xml = invoice_cii_xml(issued(world, buyer=SWISS_BUSINESS, regime="out_of_scope"))

    def add_vat_id(party):
        registration = etree.SubElement(party, f"{{{NS['ram']}}}SpecifiedTaxRegistration")
        etree.SubElement(registration, f"{{{NS['ram']}}}ID", schemeID="VA").text = "DE136695976"

    found = violations(broken(xml, "//ram:SellerTradeParty", add_vat_id))
    assert any(v.startswith("BR-O-02:") for v in found), found


XRECHNUNG_BREAKAGES = [
    ("BR-DE-1", "//ram:SpecifiedTradeSettlementPaymentMeans", remove),
    ("BR-DE-2", "//ram:SellerTradeParty/ram:DefinedTradeContact", remove),
    ("BR-DE-3", "//ram:SellerTradeParty//ram:CityName", remove),
    ("BR-DE-4", "//ram:SellerTradeParty//ram:PostcodeCode", remove),
    ("BR-DE-6", "//ram:DefinedTradeContact/ram:TelephoneUniversalCommunication", remove),
    ("BR-DE-7", "//ram:DefinedTradeContact/ram:EmailURIUniversalCommunication", remove),
    ("BR-DE-8", "//ram:BuyerTradeParty//ram:CityName", remove),
    ("BR-DE-9", "//ram:BuyerTradeParty//ram:PostcodeCode", remove),
    ("BR-DE-14", ROW + "/ram:RateApplicablePercent", remove),
    ("BR-DE-15", "//ram:BuyerReference", remove),
    ("BR-DE-19", "//ram:IBANID", set_text("DE00370400440532013000")),
    (
        "BR-DE-21",
        "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
        set_text("urn:cen.eu:en16931:2017"),
    ),
    ("PEPPOL-EN16931-R010", "//ram:BuyerTradeParty/ram:URIUniversalCommunication", remove),
    ("PEPPOL-EN16931-R008", "//ram:ShipToTradeParty", remove),
    ("PEPPOL-EN16931-R120", "//ram:NetPriceProductTradePrice/ram:ChargeAmount", set_text("48")),
    ("BR-DE-10", "//ram:ShipToTradeParty//ram:CityName", remove),
]


@pytest.mark.parametrize(
    ("rule", "path", "change"), XRECHNUNG_BREAKAGES, ids=[b[0] for b in XRECHNUNG_BREAKAGES]
)
def test_the_checker_finds_a_broken_xrechnung_rule(world, rule, path, change):
    xml = invoice_xrechnung_xml(issued(world))
    found = violations(broken(xml, path, change), xrechnung=True)
    assert any(v.startswith(rule + ":") for v in found), found


def test_the_factur_x_xml_is_not_an_xrechnung(world):
    # Factur-X EN 16931 stays as it was: it was never meant to pass the BR-DE rules.
    found = violations(invoice_cii_xml(issued(world)), xrechnung=True)
    assert {v.split(":")[0] for v in found} >= {"BR-DE-21", "PEPPOL-EN16931-R001"}
