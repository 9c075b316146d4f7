"""Issue 13's acceptance matrix: for each document language (English, French, German, Italian,
Turkish), with a seller of that country, Kontor issues an invoice, a reverse-charge invoice, an
exempt invoice, a credit note, a receipt and a statement; `pdftotext` reads back every mention
the law asks for, worded in that language; and the EN 16931 XML embedded in each invoice and
credit note passes the Factur-X XSD and the business rules (tests/billing/en16931_rules.py).

Expected wording is looked up in the catalogues (so a retranslation does not break the test),
and each language is also checked for a few words of its own, so a document that fell back to
English is caught. Turkey is outside the EU: its reverse-charge and exempt invoices are issued
by the German seller to a customer whose document language is Turkish."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from django.utils import translation
from django.utils.translation import gettext, ngettext
from lxml import etree

from billing.collections.statements import statement
from billing.documents.credit_notes import credit_note_issue
from billing.documents.einvoice import NS
from billing.documents.pdf import (
    credit_note_pdf,
    invoice_pdf,
    receipt_pdf,
    render_statement_pdf,
)
from billing.documents.selectors import credit_note_outcome_sentences
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import TaxRate
from billing.payments.receipts import receipt_of
from billing.payments.services import payment_record
from core.dates import format_document_date
from core.roles import SYSTEM
from tests.billing.en16931_rules import violations
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db

ISSUED = date(2026, 3, 2)
PAID = date(2026, 3, 10)

SELLERS = {
    "IE": {
        "legal_name": "Acme Software",
        "legal_form": "Ltd",
        "address_line_1": "1 Grafton Street",
        "postal_code": "D02 X285",
        "city": "Dublin",
        "country": "IE",
        "vat_id": "IE6388047V",
        "register_number": "CRO 123456",
        "default_currency": "EUR",
    },
    "FR": {
        "legal_name": "Acme Logiciels",
        "legal_form": "SAS",
        "address_line_1": "1 rue de la Paix",
        "postal_code": "75002",
        "city": "Paris",
        "country": "FR",
        "vat_id": "FR40303265045",
        "siren": "303265045",
        "rcs_city": "Paris",
        "share_capital": Decimal("50000"),
        "managing_directors": "Marie Curie (présidente)",
        "operation_category": "services",
        "vat_on_debits": True,
    },
    "DE": {
        "legal_name": "Acme Software",
        "legal_form": "GmbH",
        "address_line_1": "Hauptstraße 1",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        "vat_id": "DE136695976",
        "register_court": "Amtsgericht Berlin-Charlottenburg",
        "register_number": "HRB 123456 B",
        "share_capital": Decimal("25000"),
        "managing_directors": "Erika Mustermann",
    },
    "IT": {
        "legal_name": "Acme Software",
        "legal_form": "S.r.l.",
        "address_line_1": "Via Roma 1",
        "postal_code": "20121",
        "city": "Milano",
        "country": "IT",
        "vat_id": "IT00743110157",
        "rea_number": "MI-1234567",
        "share_capital": Decimal("10000"),
    },
    "TR": {
        "legal_name": "Acme Yazılım",
        "legal_form": "A.Ş.",
        "address_line_1": "Büyükdere Cad. 1",
        "postal_code": "34394",
        "city": "İstanbul",
        "country": "TR",
        "vat_id": "",
        "tax_id": "1234567890",
        "tax_office": "Büyük Mükellefler",
    },
}
COMMON_SELLER = {
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "contact_name": "Accounts",
    "contact_email": "accounts@acme.test",
    "contact_phone": "+49 30 1234567",
}
BUYERS = {
    "IE": {"billing_postal_code": "D04 AB12", "billing_city": "Dublin", "vat_id": "IE6388047V"},
    "FR": {"billing_postal_code": "69001", "billing_city": "Lyon", "siren": "404833048"},
    "DE": {"billing_postal_code": "80331", "billing_city": "München", "vat_id": ""},
    "IT": {"billing_postal_code": "00184", "billing_city": "Roma", "vat_id": ""},
    "TR": {"billing_postal_code": "06100", "billing_city": "Ankara", "vat_id": ""},
}
# The reverse-charge buyer: a business in another EU member state than the seller.
OTHER_EU_BUSINESS = {
    "IE": ("DE", "DE136695976"),
    "FR": ("IT", "IT00743110157"),
    "DE": ("IT", "IT00743110157"),
    "IT": ("DE", "DE136695976"),
}


@dataclass(frozen=True)
class Case:
    language: str
    country: str  # the seller's, for the domestic documents
    eu_country: str  # the seller's for the reverse-charge and exempt invoices
    # Words only that language's documents use: a fallback to English shows.
    invoice_word: str
    credit_note_word: str
    receipt_word: str
    statement_word: str
    reverse_charge_word: str
    exempt_word: str


CASES = [
    Case("en", "IE", "IE", "Invoice", "Credit note", "receipt", "Statement", "Reverse", "Exempt"),
    Case("fr", "FR", "FR", "Facture", "Avoir", "Reçu", "Relevé", "Autoliquidation", "Exonération"),
    Case(
        "de",
        "DE",
        "DE",
        "Rechnung",
        "Rechnungskorrektur",
        "Quittung",
        "Kontoauszug",
        "Steuerschuldnerschaft",
        "Steuerfrei",
    ),
    Case(
        "it",
        "IT",
        "IT",
        "Fattura",
        "Nota di credito",
        "Ricevuta",
        "Estratto conto",
        "Inversione contabile",
        "esente",
    ),
    Case(
        "tr",
        "TR",
        "DE",
        "Fatura",
        "Alacak dekontu",
        "Makbuz",
        "ekstre",
        "Sorumlu sıfatıyla KDV",
        "istisna",
    ),
]


def keep(name: str, pdf: bytes) -> bytes:
    """With KONTOR_DOCUMENT_SHOTS=<dir>, each document is also written there (to be rendered
    to PNG with pdftoppm and looked at)."""
    folder = os.environ.get("KONTOR_DOCUMENT_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.pdf").write_bytes(pdf)
    return pdf


def flat(text: str) -> str:
    """The PDF's words in reading order on one line: mentions wrap across lines."""
    return " ".join(text.split())


def assert_says(text: str, *needed: str) -> None:
    for phrase in needed:
        assert flat(phrase) in text, f"missing: {phrase!r}"


def t(language: str, message: str, **values) -> str:
    with translation.override(language):
        return gettext(message) % values if values else gettext(message)


def set_seller(world, country: str, language: str):
    tenant = world.acme
    for name, value in {**SELLERS[country], **COMMON_SELLER, "locale": language}.items():
        setattr(tenant, name, value)
    tenant.save()
    TaxRate.objects.filter(tenant=tenant).delete()
    rate = {"IE": "23", "FR": "20", "DE": "19", "IT": "22", "TR": "20"}[country]
    TaxRate.objects.create(tenant=tenant, name="Standard", rate=Decimal(rate), is_default=True)
    return tenant


def set_buyer(world, language: str, *, country: str, regime: str = "standard", **extra):
    customer = world.alpha
    fields = {
        "billing_company": "Umbrella Holdings",
        "billing_street": "Market Street 5",
        "billing_country": country,
        "vat_id": "",
        "siren": "",
        "vat_exemption_reason": "",
        **BUYERS.get(country, BUYERS["DE"]),
        "language": language,
        "vat_regime": regime,
        "invoice_recipients": ["billing@umbrella.test"],
        **extra,
    }
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.save()
    return customer


def issue(world, *, lines=(("Hosting", Decimal("49.00"), None), ("Setup", Decimal("12.50"), None))):
    invoice = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    for description, price, start in lines:
        invoice_add_line(
            invoice=invoice,
            description=description,
            unit_price=price,
            actor=SYSTEM,
            service_start=start,
            service_end=date(2026, 3, 31) if start else None,
        )
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=ISSUED)


def embedded_xml_is_valid(pdf: bytes) -> etree._Element:
    filename, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=False)
    assert filename == "factur-x.xml"
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert violations(xml) == []
    return etree.fromstring(xml)


def stored(document) -> bytes:
    with document.pdf.open("rb") as f:
        return f.read()


def seller_mentions(case: Case, language: str) -> list[str]:
    """What the seller's country asks every document to name about the seller."""
    seller = SELLERS[case.country]
    if case.country == "FR":
        return ["SIREN 303265045", "RCS Paris", t(language, "Share capital"), "50"]
    if case.country == "DE":
        return [
            "Amtsgericht Berlin-Charlottenburg",
            "HRB 123456 B",
            t(language, "Managing directors"),
            "Erika Mustermann",
            t(language, "Registered office"),
        ]
    if case.country == "IT":
        return ["REA MI-1234567", t(language, "Share capital")]
    if case.country == "TR":
        return [t(language, "Tax office"), "Büyük Mükellefler", "1234567890"]
    return [seller["vat_id"]]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.language)
def test_every_document_says_what_the_law_asks_in_its_language(world, case):
    lang = case.language
    set_seller(world, case.country, lang)
    set_buyer(world, lang, country=case.country)

    # --- the invoice ---------------------------------------------------------------------------
    invoice = issue(world)
    pdf = keep(f"{lang}-invoice", stored(invoice_pdf(invoice)))
    text = flat(pdf_text(pdf))
    days = invoice.buyer["payment_terms_days"]
    with translation.override(lang):
        terms = ngettext(
            "Payable within %(days)s day of the issue date.",
            "Payable within %(days)s days of the issue date.",
            days,
        ) % {"days": days}
        issued_on = format_document_date(invoice.issue_date, lang)
    assert_says(
        text,
        case.invoice_word,
        t(lang, "Invoice %(number)s", number=invoice.number),
        t(lang, "Issue date"),
        issued_on,
        t(lang, "Due date"),
        # the column head (a narrow column: its words wrap, the first one is enough)
        t(lang, "Date of supply / service period").split()[0],
        terms,
        *seller_mentions(case, lang),
    )
    if case.country == "FR":  # the French B2B mentions (the buyer has a SIREN: a business)
        assert_says(
            text,
            "404833048",  # the buyer's SIREN
            t(lang, "Operation category: supply of services."),
            t(lang, "VAT option: the tax is paid on debits."),
            t(
                lang,
                "Fixed indemnity for recovery costs in case of late payment: €40 (French "
                "Commercial Code, art. L441-10).",
            ),
            t(lang, "No discount for early payment."),
            t(
                lang,
                "Late-payment interest: the European Central Bank's latest refinancing rate "
                "plus 10 percentage points.",
            ),
        )
        assert t(lang, "No discount for early payment.") == "Pas d'escompte pour paiement anticipé."
    root = embedded_xml_is_valid(pdf)
    assert root.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "380"

    # --- the credit note -----------------------------------------------------------------------
    setup = invoice.lines.get(description="Setup")
    note = credit_note_issue(
        invoice=invoice,
        actor=SYSTEM,
        today=ISSUED,
        reason="Setup waived",
        quantities={setup.pk: Decimal(1)},
    )
    note_pdf = keep(f"{lang}-credit-note", stored(credit_note_pdf(note)))
    note_text = flat(pdf_text(note_pdf))
    with translation.override(lang):
        outcome = credit_note_outcome_sentences(note)
    assert outcome
    assert_says(
        note_text,
        case.credit_note_word,
        t(lang, "Credit note %(number)s", number=note.number),
        invoice.number,
        issued_on,
        *outcome,
        *seller_mentions(case, lang),
    )
    note_root = embedded_xml_is_valid(note_pdf)
    assert note_root.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
    assert (
        note_root.findtext(".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=NS)
        == invoice.number
    )

    # --- the receipt ---------------------------------------------------------------------------
    payment = payment_record(
        customer=world.alpha,
        amount=invoice.gross_amount - note.gross_amount,
        currency=invoice.currency,
        method="bank_transfer",
        reference=invoice.number,
        received_on=PAID,
        invoices=[invoice],
        actor=world.staff["acme", "owner"],
    )
    receipt = receipt_pdf(receipt_of(payment))
    receipt_text = flat(pdf_text(keep(f"{lang}-receipt", stored(receipt))))
    paid_on = format_document_date(PAID, lang)
    assert_says(
        receipt_text,
        case.receipt_word,
        t(lang, "Payment receipt"),
        t(lang, "Receipt number"),
        receipt.number,
        paid_on,
        invoice.number,
    )

    # --- the statement -------------------------------------------------------------------------
    shown = statement(customer=world.alpha, start=date(2026, 3, 1), end=date(2026, 3, 31))
    statement_text = flat(pdf_text(keep(f"{lang}-statement", render_statement_pdf(shown))))
    assert_says(
        statement_text,
        case.statement_word,
        t(lang, "Statement"),
        "Market Street 5",  # the buyer's address
        world.alpha.billing_city,
        invoice.number,
        note.number,
        t(lang, "Opening balance"),
        t(lang, "Closing balance"),
    )
    assert shown.closing == 0


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.language)
def test_reverse_charge_and_exempt_invoices_name_their_legal_basis_in_its_language(world, case):
    lang = case.language
    set_seller(world, case.eu_country, lang)
    buyer_country, buyer_vat_id = OTHER_EU_BUSINESS[case.eu_country]

    set_buyer(world, lang, country=buyer_country, regime="reverse_charge", vat_id=buyer_vat_id)
    reverse = issue(world)
    pdf = keep(f"{lang}-reverse-charge", stored(invoice_pdf(reverse)))
    text = flat(pdf_text(pdf))
    mentions = reverse.buyer["vat_mentions"]
    assert mentions and reverse.tax_amount == 0
    assert_says(
        text, case.invoice_word, *mentions, buyer_vat_id, SELLERS[case.eu_country]["vat_id"]
    )
    assert case.reverse_charge_word in mentions[0]  # worded in the document's language
    root = embedded_xml_is_valid(pdf)
    assert {c.text for c in root.iterfind(".//ram:CategoryCode", NS)} == {"AE"}

    set_buyer(
        world,
        lang,
        country=case.eu_country,
        regime="exempt",
        vat_exemption_reason="VATEX-EU-132-1C",
    )
    exempt = issue(world)
    pdf = keep(f"{lang}-exempt", stored(invoice_pdf(exempt)))
    text = flat(pdf_text(pdf))
    mentions = exempt.buyer["vat_mentions"]
    assert mentions and exempt.tax_amount == 0
    assert_says(text, *mentions)
    assert "2006/112" in mentions[0] and case.exempt_word in mentions[0]
    root = embedded_xml_is_valid(pdf)
    assert {c.text for c in root.iterfind(".//ram:CategoryCode", NS)} == {"E"}
    assert root.findtext(".//ram:ExemptionReasonCode", namespaces=NS) == "VATEX-EU-132-1C"
