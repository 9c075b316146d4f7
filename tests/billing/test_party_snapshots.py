"""Seller and buyer are frozen on each document as structured fields, and the documents print
the seller's legal block from them; documents frozen before (one text address) still render."""

from datetime import date
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from billing.documents.finalization import buyer_snapshot, seller_snapshot
from billing.documents.pdf import invoice_pdf, render_invoice_html, write_pdf
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import TaxRate
from core.roles import SYSTEM
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db

GERMAN_SELLER = {
    "legal_name": "Acme Software",
    "legal_form": "GmbH",
    "address_line_1": "Hauptstraße 1",
    "address_line_2": "Aufgang B",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "DE",
    "vat_id": "DE136695976",
    "tax_id": "18181508155",
    "register_court": "Amtsgericht Berlin-Charlottenburg",
    "register_number": "HRB 123456 B",
    "share_capital": Decimal("25000.00"),
    "share_capital_currency": "EUR",
    "managing_directors": "Erika Mustermann, Max Mustermann",
    "contact_name": "Buchhaltung",
    "contact_email": "billing@acme.test",
    "contact_phone": "+49 30 1234567",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
}
FRENCH_SELLER = {
    "legal_name": "Globex",
    "legal_form": "SAS",
    "address_line_1": "12 rue de la Paix",
    "postal_code": "75002",
    "city": "Paris",
    "country": "FR",
    "vat_id": "FR40303265045",
    "siren": "303265045",
    "siret": "30326504500003",
    "rcs_city": "Paris",
    "share_capital": Decimal("50000.00"),
    "share_capital_currency": "EUR",
}
# A seller as documents finalized before the structured fields froze it.
OLD_SELLER = {
    "name": "Altfirma GmbH",
    "address": "Altstraße 5\n12345 Altstadt",
    "country": "DE",
    "vat_id": "DE811907980",
    "registration_number": "HRB 999 Altstadt",
    "bank_account_holder": "",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
}


def with_identity(obj, fields: dict):
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    return obj


def finalized_invoice(customer):
    TaxRate.objects.get_or_create(
        tenant=customer.tenant,
        name="Standard",
        defaults={"rate": Decimal("19"), "is_default": True},
    )
    invoice = invoice_create_draft(customer=customer, actor=SYSTEM)
    invoice_add_line(
        invoice=invoice, description="Helpdesk Team", unit_price=Decimal("49"), actor=SYSTEM
    )
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 1))


def text_of(content: bytes) -> str:
    return " ".join(pdf_text(content).split())


def test_the_seller_snapshot_stores_each_field_apart(world):
    seller = seller_snapshot(with_identity(world.acme, GERMAN_SELLER))
    assert seller["name"] == "Acme Software"
    assert seller["legal_name"] == "Acme Software GmbH"
    assert seller["street_lines"] == ["Hauptstraße 1", "Aufgang B"]
    assert (seller["postal_code"], seller["city"], seller["country"]) == ("10115", "Berlin", "DE")
    assert (seller["register_court"], seller["register_number"]) == (
        "Amtsgericht Berlin-Charlottenburg",
        "HRB 123456 B",
    )
    assert (seller["share_capital"], seller["share_capital_currency"]) == ("25000.00", "EUR")
    assert seller["managing_directors"] == "Erika Mustermann, Max Mustermann"
    assert (seller["vat_id"], seller["tax_id"]) == ("DE136695976", "18181508155")
    assert seller["contact"] == {
        "name": "Buchhaltung",
        "email": "billing@acme.test",
        "phone": "+49 30 1234567",
    }
    # What renderers of older documents read is still there.
    assert seller["address"] == "Hauptstraße 1\nAufgang B\n10115 Berlin"


def test_a_legal_name_that_already_ends_with_its_form_is_not_doubled(world):
    seller = seller_snapshot(
        with_identity(world.acme, {"legal_name": "Acme GmbH", "legal_form": "GmbH"})
    )
    assert seller["legal_name"] == "Acme GmbH"


def test_the_buyer_snapshot_stores_its_identity_and_buyer_reference(world):
    customer = with_identity(
        world.alpha,
        {
            "billing_company": "Umbrella S.p.A.",
            "billing_street": "Via Roma 1",
            "billing_postal_code": "20121",
            "billing_city": "Milano",
            "billing_country": "IT",
            "legal_form": "S.p.A.",
            "vat_id": "IT00743110157",
            "tax_id": "00743110157",
            "rea_number": "MI-1234567",
            "buyer_reference": "04011000-12345-67",
        },
    )
    buyer = buyer_snapshot(customer)
    assert buyer["street_lines"] == ["Via Roma 1"]
    assert (buyer["postal_code"], buyer["city"], buyer["country"]) == ("20121", "Milano", "IT")
    assert (buyer["legal_form"], buyer["tax_id"], buyer["rea_number"]) == (
        "S.p.A.",
        "00743110157",
        "MI-1234567",
    )
    assert buyer["buyer_reference"] == "04011000-12345-67"
    assert buyer["address_lines"][0] == "Umbrella S.p.A."


def test_finalizing_freezes_the_structured_parties(world):
    with_identity(world.acme, GERMAN_SELLER)
    world.alpha.buyer_reference = "04011000-12345-67"
    world.alpha.save()
    invoice = finalized_invoice(world.alpha)
    with_identity(world.acme, {"register_number": "HRB 1 B", "managing_directors": "Someone Else"})
    invoice.refresh_from_db()
    assert invoice.seller["register_number"] == "HRB 123456 B"
    assert invoice.seller["managing_directors"] == "Erika Mustermann, Max Mustermann"
    assert invoice.buyer["buyer_reference"] == "04011000-12345-67"


def test_the_invoice_pdf_prints_the_german_sellers_legal_block(world):
    with_identity(world.acme, GERMAN_SELLER)
    world.alpha.buyer_reference = "04011000-12345-67"
    world.alpha.save()
    text = text_of(invoice_pdf(finalized_invoice(world.alpha)).pdf.open("rb").read())
    for needed in (
        "Acme Software GmbH",
        "Hauptstraße 1",
        "Aufgang B",
        "10115 Berlin",
        # The right column wraps the court's name; pdftotext reads the columns interleaved.
        "Commercial register: Amtsgericht Berlin-",
        "Charlottenburg, HRB 123456 B",
        "Share capital: €25,000.00",
        "Managing directors: Erika Mustermann, Max",
        "VAT number: DE136695976",
        "18181508155",
        "04011000-12345-67",  # the buyer reference
    ):
        assert needed in text, needed


def test_the_invoice_pdf_prints_the_french_sellers_registrations(world):
    with_identity(world.acme, FRENCH_SELLER)
    text = text_of(invoice_pdf(finalized_invoice(world.alpha)).pdf.open("rb").read())
    for needed in (
        "Globex SAS",
        "12 rue de la Paix",
        "75002 Paris",
        "SIREN 303265045 RCS Paris",
        "SIRET 30326504500003",
        "€50,000.00",
        "FR40303265045",
    ):
        assert needed in text, needed


def test_a_document_frozen_before_the_structured_fields_still_renders(world):
    invoice = finalized_invoice(world.alpha)
    invoice.seller = OLD_SELLER  # as the row of an older invoice holds it (never saved: locked)
    lines = list(invoice.lines.all())

    text = text_of(write_pdf(render_invoice_html(invoice, lines)))
    for needed in (
        "Altfirma GmbH",
        "Altstraße 5",
        "12345 Altstadt",
        "DE811907980",
        "HRB 999 Altstadt",
    ):
        assert needed in text, needed

    page = render_to_string("billing/_invoice_body.html", {"invoice": invoice, "lines": lines})
    for needed in ("Altfirma GmbH", "Altstraße 5<br>12345 Altstadt", "HRB 999 Altstadt"):
        assert needed in page, needed
