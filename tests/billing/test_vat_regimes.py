"""Every VAT regime charges what its law says, prints its legal mention with its legal basis
(frozen at finalization, in the document's language, in the seller's country's wording where it
has one) and maps to its EN 16931 VAT category and exemption code; a small business charges no
VAT at all. Documents issued under the old "not_taxable" name keep printing and building XML."""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal

import facturx
import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils.translation import trans_real
from lxml import etree

from billing.documents.credit_notes import credit_note_issue
from billing.documents.einvoice import NS, credit_note_cii_xml, invoice_cii_xml
from billing.documents.pdf import render_invoice_html, write_pdf
from billing.documents.selectors import customer_price
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import Invoice, TaxRate
from contracts.admin import CustomerForm
from contracts.forms import ContractEditForm
from contracts.models import Customer
from core.roles import SYSTEM
from quotes.lifecycle import quote_send
from quotes.services import quote_add_line, quote_create_draft
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 1)

SELLERS = {
    "DE": {
        "legal_name": "Acme Software",
        "legal_form": "GmbH",
        "address_line_1": "Hauptstraße 1",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        "vat_id": "DE136695976",
        "tax_id": "",
        "locale": "en",
    },
    "FR": {
        "legal_name": "Acme Logiciels",
        "legal_form": "SAS",
        "address_line_1": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "country": "FR",
        "vat_id": "FR40303265045",
        "tax_id": "",
        "locale": "en",
    },
}
IT_BUSINESS = {
    "billing_company": "Umbrella S.p.A.",
    "billing_street": "Via Roma 1",
    "billing_postal_code": "20121",
    "billing_city": "Milano",
    "billing_country": "IT",
    "vat_id": "IT00743110157",
}
SWISS_BUSINESS = {
    "billing_company": "Fabrikam AG",
    "billing_street": "Bahnhofstrasse 10",
    "billing_postal_code": "8001",
    "billing_city": "Zürich",
    "billing_country": "CH",
    "vat_id": "",
}
GERMAN_CLINIC = {
    "billing_company": "Praxis Dr. Roe",
    "billing_street": "Lindenweg 2",
    "billing_postal_code": "80331",
    "billing_city": "München",
    "billing_country": "DE",
    "vat_id": "",
}

# regime: the buyer, the EN 16931 category and exemption code, the mention a German seller's
# English invoice prints, and the VAT ids (BT-31, BT-48) the XML names.
CASES = {
    "reverse_charge": (
        IT_BUSINESS,
        "AE",
        "VATEX-EU-AE",
        "Reverse charge: the recipient of the service is liable for the tax (§ 13b UStG).",
        ["DE136695976", "IT00743110157"],
    ),
    "intra_eu_goods": (
        IT_BUSINESS,
        "K",
        "VATEX-EU-IC",
        "Tax-exempt intra-Community supply (§ 4 no. 1b UStG).",
        ["DE136695976", "IT00743110157"],
    ),
    "export": (
        SWISS_BUSINESS,
        "G",
        "VATEX-EU-G",
        "Tax-exempt export delivery (§ 4 no. 1a UStG).",
        ["DE136695976"],
    ),
    "exempt": (
        {**GERMAN_CLINIC, "vat_exemption_reason": "VATEX-EU-132-1C"},
        "E",
        "VATEX-EU-132-1C",
        "Exempt from VAT under Directive 2006/112/EC: Medical care by the medical and "
        "paramedical professions (art. 132(1)(c)).",
        ["DE136695976"],
    ),
    "out_of_scope": (
        {**SWISS_BUSINESS, "billing_country": "US"},
        "O",
        "VATEX-EU-O",
        "Service not taxable in Germany (§ 3a (2) UStG).",
        [],  # BR-O-02: no VAT identifier at all
    ),
}

BREAKDOWN = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"  # noqa: E501
LINE_CATEGORIES = (
    "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode/text()"
)


def setup(obj, fields: dict):
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    return obj


def seller(world, country: str = "DE", **extra):
    TaxRate.objects.get_or_create(
        tenant=world.acme, name="Standard", defaults={"rate": Decimal("19"), "is_default": True}
    )
    return setup(world.acme, {**SELLERS[country], **extra})


def invoice_of(customer, *, service_period: bool = True) -> Invoice:
    invoice = invoice_create_draft(customer=customer, actor=SYSTEM)
    invoice_add_line(
        invoice=invoice,
        description="Helpdesk Team",
        unit_price=Decimal("49"),
        actor=SYSTEM,
        service_start=date(2026, 3, 1) if service_period else None,
        service_end=date(2026, 3, 31) if service_period else None,
    )
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=TODAY)


def pdf_of(invoice: Invoice) -> str:
    invoice = Invoice.objects.get(pk=invoice.pk)
    content = write_pdf(render_invoice_html(invoice, list(invoice.lines.all())))
    return " ".join(pdf_text(content).split())


def breakdown(xml: bytes) -> list[dict]:
    root = etree.fromstring(xml)
    return [
        {
            "category": node.findtext("ram:CategoryCode", namespaces=NS),
            "rate": node.findtext("ram:RateApplicablePercent", namespaces=NS),
            "tax": Decimal(node.findtext("ram:CalculatedAmount", namespaces=NS)),
            "reason": node.findtext("ram:ExemptionReason", namespaces=NS),
            "reason_code": node.findtext("ram:ExemptionReasonCode", namespaces=NS),
        }
        for node in root.xpath(BREAKDOWN, namespaces=NS)
    ]


def vat_ids(xml: bytes) -> list[str]:
    root = etree.fromstring(xml)
    return root.xpath("//ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']/text()", namespaces=NS)


def assert_valid_xsd(xml: bytes) -> None:
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True


@pytest.fixture
def official_wording():
    """The official national wordings, as the lead's catalogues will hold them, put into the
    loaded catalogues for one test (the .po files are filled after merging)."""
    added: list[tuple[str, str]] = []

    def add(language: str, context: str, english: str, translated: str) -> None:
        key = f"{context}\x04{english}"
        trans_real.translation(language)._catalog[key] = translated
        added.append((language, key))

    yield add
    for language, key in added:
        for catalog in trans_real.translation(language)._catalog._catalogs:
            catalog.pop(key, None)


# --- each regime, end to end -------------------------------------------------------------------


@pytest.mark.parametrize("regime", CASES)
def test_each_regime_charges_no_vat_and_prints_and_codes_its_legal_basis(world, regime):
    buyer, category, code, mention, ids = CASES[regime]
    seller(world, "DE")
    setup(world.alpha, {**buyer, "vat_regime": regime, "language": "en"})

    invoice = invoice_of(world.alpha)

    # No VAT, whatever the business's rate.
    assert invoice.tax_amount == 0 and invoice.gross_amount == invoice.net_amount == Decimal(49)
    assert invoice.vat_regime == regime
    # The mention is frozen with the buyer, in the document's language and the seller's
    # country's wording.
    assert invoice.buyer["vat_mentions"][0] == mention
    assert invoice.buyer["vat_mention"] == " ".join(invoice.buyer["vat_mentions"])
    assert invoice.buyer["vat_exemption_reason"] == (code if regime == "exempt" else "")
    # Printed on the PDF.
    assert mention in pdf_of(invoice)
    # Coded in the e-invoice, which stays valid.
    xml = invoice_cii_xml(invoice)
    assert_valid_xsd(xml)
    (row,) = breakdown(xml)
    assert (row["category"], row["tax"], row["reason_code"]) == (category, Decimal(0), code)
    assert row["reason"] == mention  # BT-120, as printed
    assert row["rate"] == (None if category == "O" else "0")  # BR-O-05: O has no rate
    assert etree.fromstring(xml).xpath(LINE_CATEGORIES, namespaces=NS) == [category]
    assert vat_ids(xml) == ids


def test_reverse_charge_is_also_printed_in_the_sellers_language(world):
    seller(world, "DE")
    setup(world.alpha, {**IT_BUSINESS, "vat_regime": "reverse_charge", "language": "en"})

    invoice = invoice_of(world.alpha)

    english, german = invoice.buyer["vat_mentions"]
    assert english.startswith("Reverse charge")
    assert "Steuerschuldnerschaft des Leistungsempfängers" in german
    text = pdf_of(invoice)
    assert english in text and "Steuerschuldnerschaft des Leistungsempfängers" in text
    # Art. 226(11a) with both parties' VAT numbers beside it.
    assert "DE136695976 / IT00743110157" in text


def test_a_document_in_the_sellers_language_prints_the_mention_once(world):
    seller(world, "DE")
    setup(world.alpha, {**IT_BUSINESS, "vat_regime": "reverse_charge", "language": "de"})

    invoice = invoice_of(world.alpha)

    (mention,) = invoice.buyer["vat_mentions"]
    assert "Steuerschuldnerschaft des Leistungsempfängers" in mention


def test_the_national_wording_is_what_the_document_languages_catalogue_says(
    world, official_wording
):
    official_wording(
        "fr",
        "VAT mention, French seller",
        "VAT exemption, article 262 ter I of the French General Tax Code.",
        "Exonération de TVA, article 262 ter I du CGI",
    )
    official_wording(
        "de",
        "VAT mention, German seller",
        "Tax-exempt intra-Community supply (§ 4 no. 1b UStG).",
        "Steuerfreie innergemeinschaftliche Lieferung (§ 4 Nr. 1b UStG)",
    )
    seller(world, "FR")
    setup(world.alpha, {**IT_BUSINESS, "vat_regime": "intra_eu_goods", "language": "fr"})
    assert invoice_of(world.alpha).buyer["vat_mentions"] == [
        "Exonération de TVA, article 262 ter I du CGI"
    ]

    seller(world, "DE")
    world.alpha.language = "de"
    world.alpha.save()
    assert invoice_of(world.alpha).buyer["vat_mentions"] == [
        "Steuerfreie innergemeinschaftliche Lieferung (§ 4 Nr. 1b UStG)"
    ]


def test_a_national_wording_missing_from_a_catalogue_gives_the_directives_not_english(world):
    # The French catalogue knows the Directive's reverse-charge wording ("Autoliquidation…");
    # a French seller's own wording, until translated, must not print in English instead.
    seller(world, "FR")
    setup(world.alpha, {**IT_BUSINESS, "vat_regime": "reverse_charge", "language": "fr"})

    invoice = invoice_of(world.alpha)

    assert invoice.buyer["vat_mentions"][0].startswith("Autoliquidation")


def test_a_seller_without_a_national_wording_prints_the_directives_article(world):
    seller(world, "DE")
    world.acme.country = "AT"  # no Austrian wording of its own here
    world.acme.vat_id = "ATU13585627"
    setup(world.acme, {})
    setup(world.alpha, {**SWISS_BUSINESS, "vat_regime": "export", "language": "en"})

    invoice = invoice_of(world.alpha)

    assert invoice.buyer["vat_mentions"] == [
        "Exempt export of goods outside the EU (Directive 2006/112/EC, art. 146)."
    ]


def test_an_intra_community_supply_says_where_and_when_the_goods_went(world):
    # BR-IC-11 (delivery date or invoicing period) and BR-IC-12 (deliver-to country).
    seller(world, "DE")
    setup(world.alpha, {**IT_BUSINESS, "vat_regime": "intra_eu_goods"})

    with_period = invoice_cii_xml(invoice_of(world.alpha))
    without_period = invoice_cii_xml(invoice_of(world.alpha, service_period=False))

    for xml in (with_period, without_period):
        assert_valid_xsd(xml)
        root = etree.fromstring(xml)
        assert root.findtext(".//ram:ShipToTradeParty//ram:CountryID", namespaces=NS) == "IT"
    period = etree.fromstring(with_period).xpath(
        "//ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod", namespaces=NS
    )
    assert len(period) == 1
    # A line without a service period is dated its date of supply at finalization (the issue
    # date): the invoicing period is that day.
    delivered = etree.fromstring(without_period).xpath(
        "//ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod//udt:DateTimeString",
        namespaces=NS,
    )
    assert [d.text for d in delivered] == ["20260301", "20260301"]


def test_a_credit_note_of_an_intra_community_supply_keeps_its_category_and_mention(world):
    seller(world, "DE")
    setup(world.alpha, {**IT_BUSINESS, "vat_regime": "intra_eu_goods"})
    invoice = invoice_of(world.alpha)

    note = credit_note_issue(invoice=invoice, actor=SYSTEM, today=TODAY, reason="Returned")

    xml = credit_note_cii_xml(note)
    assert_valid_xsd(xml)
    (row,) = breakdown(xml)
    assert (row["category"], row["reason_code"]) == ("K", "VATEX-EU-IC")
    html = render_to_string("billing/_vat_mention.html", {"doc": invoice})
    assert "Tax-exempt intra-Community supply (§ 4 no. 1b UStG)." in html


def test_a_quote_prints_its_regimes_mention(world):
    seller(world, "DE")
    setup(world.alpha, {**SWISS_BUSINESS, "vat_regime": "export", "language": "en"})
    quote = quote_create_draft(customer=world.alpha, actor=SYSTEM, today=TODAY)
    quote_add_line(quote=quote, description="Migration", unit_price=Decimal("900"), actor=SYSTEM)

    quote = quote_send(quote=quote, actor=SYSTEM, today=TODAY)

    assert quote.tax_amount == 0 and quote.vat_regime == "export"
    html = render_to_string("billing/_vat_mention.html", {"doc": quote})
    assert "Tax-exempt export delivery (§ 4 no. 1a UStG)." in html


# --- the small business ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "exemption", "code", "mention"),
    [
        (
            "FR",
            "fr_293b",
            "VATEX-FR-FRANCHISE",
            "VAT not applicable, article 293 B of the French General Tax Code.",
        ),
        ("DE", "de_19", None, "No VAT is charged under § 19 UStG (small business)."),
    ],
)
def test_a_small_business_charges_no_vat_to_anyone_and_says_why(
    world, official_wording, country, exemption, code, mention
):
    own = {
        "FR": ("fr", "VAT mention, French seller", "TVA non applicable, art. 293 B du CGI"),
        "DE": (
            "de",
            "VAT mention, German seller",
            "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.",
        ),
    }
    language, context, official = own[country]
    official_wording(language, context, mention, official)
    seller(world, country, small_business_exemption=exemption)
    setup(world.alpha, {**IT_BUSINESS, "vat_regime": "reverse_charge", "language": "en"})

    invoice = invoice_of(world.alpha)

    assert invoice.tax_amount == 0 and invoice.vat_regime == "small_business"
    # In the document's language and in the seller's, as its law words it.
    assert invoice.buyer["vat_mentions"] == [mention, official]
    assert invoice.seller["small_business_exemption"] == exemption
    assert mention in pdf_of(invoice)
    xml = invoice_cii_xml(invoice)
    assert_valid_xsd(xml)
    (row,) = breakdown(xml)
    assert (row["category"], row["rate"], row["reason_code"]) == ("E", "0", code)
    assert row["reason"] == mention


def test_a_small_business_standard_customer_pays_no_vat_in_the_catalogue_either(world):
    seller(world, "DE", small_business_exemption="de_19")
    price = customer_price(
        customer=world.alpha, net=Decimal("10"), currency="EUR", rate=Decimal("19")
    )
    assert (price.gross, price.vat_charged) == (Decimal("10.00"), False)


@pytest.mark.parametrize("exemption", ["fr_293b", "de_19"])
def test_a_small_business_exemption_must_be_the_businesss_countrys(world, exemption):
    seller(world, "DE" if exemption == "fr_293b" else "FR")
    world.acme.small_business_exemption = exemption
    with pytest.raises(ValidationError) as refused:
        world.acme.full_clean()
    assert "small_business_exemption" in refused.value.message_dict


def test_a_small_business_names_a_tax_number_for_its_e_invoices(world):
    # BR-E-02: an exempt invoice carries the seller's VAT number (BT-31) or tax number (BT-32).
    seller(world, "DE")
    world.acme.vat_id, world.acme.tax_id = "", ""
    world.acme.small_business_exemption = "de_19"
    with pytest.raises(ValidationError) as refused:
        world.acme.full_clean()
    assert "tax_id" in refused.value.message_dict
    world.acme.tax_id = "18181508155"
    setup(world.acme, {})
    setup(world.alpha, GERMAN_CLINIC)

    xml = invoice_cii_xml(invoice_of(world.alpha))
    assert_valid_xsd(xml)
    root = etree.fromstring(xml)
    fiscal = root.xpath("//ram:SellerTradeParty//ram:ID[@schemeID='FC']/text()", namespaces=NS)
    assert fiscal == ["18181508155"] and vat_ids(xml) == []


# --- prices before the invoice -----------------------------------------------------------------


@pytest.mark.parametrize("regime", CASES)
def test_every_regime_but_standard_is_priced_without_vat(world, regime):
    buyer = CASES[regime][0]
    seller(world, "DE")
    setup(world.alpha, {**buyer, "vat_regime": regime})
    price = customer_price(
        customer=world.alpha, net=Decimal("10"), currency="EUR", rate=Decimal("19")
    )
    assert (price.gross, price.vat_charged) == (Decimal("10.00"), False)


# --- the customer's regime is checked ----------------------------------------------------------


def staff_form(customer: Customer, **changes) -> CustomerForm:
    customer = Customer.objects.get(pk=customer.pk)  # each form changes its own instance
    data = {
        "tenant": customer.tenant_id,
        "name": customer.name,
        "language": "",
        "vat_regime": customer.vat_regime,
        "document_delivery": "attachment",
        "einvoice_format": "facturx",
        "invoice_recipients": "",
        **{
            field: getattr(customer, field)
            for field in (
                "billing_street",
                "billing_postal_code",
                "billing_city",
                "billing_country",
                "vat_id",
            )
        },
        **changes,
    }
    return CustomerForm(data=data, instance=customer)


def test_an_intra_eu_supply_of_goods_needs_a_vat_number_of_another_member_state(world):
    seller(world, "DE")
    setup(world.alpha, GERMAN_CLINIC)

    missing = staff_form(world.alpha, vat_regime="intra_eu_goods")
    assert not missing.is_valid() and "vat_id" in missing.errors
    domestic = staff_form(world.alpha, vat_regime="intra_eu_goods", vat_id="DE811907980")
    assert not domestic.is_valid() and "vat_regime" in domestic.errors
    foreign = staff_form(
        world.alpha, vat_regime="intra_eu_goods", vat_id="IT00743110157", billing_country="IT"
    )
    assert foreign.is_valid(), foreign.errors


@pytest.mark.parametrize("regime", ["export", "out_of_scope"])
def test_export_and_out_of_scope_are_for_buyers_outside_the_eu(world, regime):
    seller(world, "DE")
    setup(world.alpha, GERMAN_CLINIC)

    inside = staff_form(world.alpha, vat_regime=regime, billing_country="FR")
    assert not inside.is_valid() and "billing_country" in inside.errors
    nowhere = staff_form(world.alpha, vat_regime=regime, billing_country="")
    assert not nowhere.is_valid() and "billing_country" in nowhere.errors
    outside = staff_form(world.alpha, vat_regime=regime, billing_country="CH")
    assert outside.is_valid(), outside.errors


def test_an_exempt_customer_needs_a_reason_and_only_then_keeps_one(world):
    seller(world, "DE")
    setup(world.alpha, GERMAN_CLINIC)

    missing = staff_form(world.alpha, vat_regime="exempt")
    assert not missing.is_valid() and "vat_exemption_reason" in missing.errors
    chosen = staff_form(world.alpha, vat_regime="exempt", vat_exemption_reason="VATEX-EU-135-1A")
    assert chosen.is_valid(), chosen.errors
    standard = staff_form(
        world.alpha, vat_regime="standard", vat_exemption_reason="VATEX-EU-135-1A"
    )
    assert standard.is_valid() and standard.instance.vat_exemption_reason == ""


def test_the_database_refuses_an_exempt_customer_without_a_reason(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=world.alpha.pk).update(vat_regime="exempt")


def test_a_customer_moving_into_the_eu_is_told_in_their_own_form(world):
    seller(world, "DE")
    setup(world.alpha, {**SWISS_BUSINESS, "vat_regime": "export"})
    form = ContractEditForm(
        data={
            "billing_street": "Via Roma 1",
            "billing_city": "Milano",
            "billing_country": "IT",
            "document_delivery": "attachment",
            "einvoice_format": "facturx",
            "invoice_recipients": "",
        },
        instance=world.alpha,
    )
    assert not form.is_valid() and "billing_country" in form.errors


# --- not_taxable, the old name of out_of_scope --------------------------------------------------


def test_the_migration_moves_not_taxable_customers_to_out_of_scope(world):
    migration = importlib.import_module("contracts.migrations.0005_vatregimes_customer_regimes")
    Customer.objects.filter(pk=world.alpha.pk).update(vat_regime="not_taxable")
    migration.rename_not_taxable(django_apps, None)
    assert Customer.objects.get(pk=world.alpha.pk).vat_regime == "out_of_scope"
    assert Customer.objects.get(pk=world.bravo.pk).vat_regime == "standard"


def test_an_invoice_issued_as_not_taxable_still_prints_and_builds_its_xml(world):
    seller(world, "DE")
    setup(world.alpha, {**SWISS_BUSINESS, "vat_regime": "out_of_scope"})
    invoice = invoice_of(world.alpha)
    # As the row of an invoice issued before the rename holds it (never saved: locked).
    invoice.vat_regime = "not_taxable"
    invoice.buyer = {
        key: value
        for key, value in invoice.buyer.items()
        if key not in ("vat_mentions", "vat_exemption_reason")
    }
    old_mention = "Non assujetti : TVA non applicable."
    invoice.buyer["vat_mention"] = old_mention

    text = " ".join(
        pdf_text(write_pdf(render_invoice_html(invoice, list(invoice.lines.all())))).split()
    )
    assert old_mention in text  # exactly as issued

    xml = invoice_cii_xml(invoice, list(invoice.lines.all()))
    assert_valid_xsd(xml)
    (row,) = breakdown(xml)
    assert (row["category"], row["reason_code"], row["reason"]) == (
        "O",
        "VATEX-EU-O",
        "Not subject to VAT",
    )
    assert vat_ids(xml) == []


def test_an_old_not_taxable_invoice_without_any_frozen_mention_prints_as_it_did(world):
    seller(world, "DE")
    setup(world.alpha, {**SWISS_BUSINESS, "vat_regime": "out_of_scope"})
    invoice = invoice_of(world.alpha)
    invoice.vat_regime = "not_taxable"
    invoice.buyer = {
        key: value
        for key, value in invoice.buyer.items()
        if key not in ("vat_mentions", "vat_mention")
    }
    html = render_to_string("billing/_vat_mention.html", {"doc": invoice})
    assert "Not taxable" in html
