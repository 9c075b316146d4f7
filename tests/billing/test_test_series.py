"""Test accounts' invoices and credit notes: a number series of their own (never a legal
number, never a gap in the legal ones) and a TEST mark on the PDF, the page and the e-invoice."""

from datetime import date
from decimal import Decimal

import facturx
import pytest
from django.core.exceptions import ValidationError
from lxml import etree

from billing.documents.credit_notes import credit_note_issue
from billing.documents.einvoice import NS, credit_note_cii_xml, invoice_cii_xml
from billing.documents.pdf import credit_note_pdf, invoice_pdf
from billing.documents.services import invoice_finalize
from billing.models import Invoice, TaxRate
from billing.run import services as billing
from core.roles import SYSTEM
from subscriptions.services import subscription_order
from tests.billing.test_einvoice import BUYER, SELLER, with_identity
from tests.billing.test_invoices import draft
from tests.factories import TariffFactory
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db

BANNER = "TEST — not a valid invoice, no payment due"


@pytest.fixture
def vat(world):
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal(19), is_default=True)


def as_test_account(customer):
    customer.is_test_account = True
    customer.save(update_fields=["is_test_account"])
    return customer


def finalize(world, customer, day=date(2026, 3, 1)) -> Invoice:
    return invoice_finalize(
        invoice=draft(world, ("Helpdesk", "1", "100"), customer=customer), actor=SYSTEM, today=day
    )


def test_a_test_invoice_takes_a_test_number_and_leaves_the_legal_series_gapless(world, vat):
    as_test_account(world.bravo)
    first = finalize(world, world.alpha)
    test = finalize(world, world.bravo)
    second = finalize(world, world.alpha)
    assert (first.number, second.number) == ("INV-2026-000001", "INV-2026-000002")
    assert test.number == "TEST-2026-00001" and test.is_test


def test_a_test_invoices_credit_note_is_a_test_document_too(world, vat):
    as_test_account(world.bravo)
    test = finalize(world, world.bravo)
    note = credit_note_issue(invoice=test, actor=SYSTEM, today=date(2026, 3, 2), reason="Trial")
    legal = finalize(world, world.alpha)
    legal_note = credit_note_issue(
        invoice=legal, actor=SYSTEM, today=date(2026, 3, 2), reason="Wrong"
    )
    assert note.number == "TEST-2026-00002"  # one test counter: never equal to a test invoice's
    assert legal_note.number == "CN-2026-000001"


def test_a_new_years_legal_counter_does_not_count_test_invoices(world, vat):
    """A new counter starts after the documents already numbered in its scope: test invoices
    of that year are not among them, or the legal numbers would start with a gap."""
    world.acme.number_reset_yearly = True
    world.acme.save(update_fields=["number_reset_yearly"])
    as_test_account(world.bravo)
    finalize(world, world.bravo, day=date(2027, 1, 2))
    finalize(world, world.bravo, day=date(2027, 1, 3))
    assert finalize(world, world.alpha, day=date(2027, 1, 4)).number == "INV-2027-000001"


def test_the_billing_run_numbers_test_accounts_in_the_test_series(world, vat):
    as_test_account(world.bravo)
    tariff = TariffFactory(module__tenant=world.acme, name="Team", price="49.00")
    for customer in (world.alpha, world.bravo, world.alpha):
        subscription_order(
            customer=customer, tariff=tariff, actor=SYSTEM, start_on=date(2026, 3, 1)
        )
    billing.billing_run(today=date(2026, 3, 1))
    numbers = dict(
        Invoice.objects.filter(tenant=world.acme)
        .values_list("number", "is_test")
        .order_by("number")
    )
    assert numbers == {
        "INV-2026-000001": False,
        "INV-2026-000002": False,
        "TEST-2026-00001": True,
    }


def test_the_test_number_format_may_not_read_like_a_legal_one(world):
    world.acme.test_number_format = "INV-{year}-{number}"
    with pytest.raises(ValidationError) as refused:
        world.acme.full_clean()
    assert set(refused.value.message_dict) == {"test_number_format"}
    world.acme.test_number_format = "T{year}/{number}"
    world.acme.full_clean()


def test_the_test_invoice_pdf_and_page_carry_the_banner(world, vat):
    as_test_account(world.alpha)
    world.acme.iban = "DE89370400440532013000"
    world.acme.save(update_fields=["iban"])
    invoice = finalize(world, world.alpha)
    text = pdf_text(invoice_pdf(invoice).pdf.read())
    assert BANNER in text.replace("\n", " ")
    assert "Please transfer" not in text  # nothing to pay
    page = world.client(world.alice).get(f"/invoices/{invoice.pk}/")
    assert BANNER in page.content.decode()


def test_a_legal_invoice_has_no_banner(world, vat):
    invoice = finalize(world, world.alpha)
    assert "TEST" not in pdf_text(invoice_pdf(invoice).pdf.read())
    assert BANNER not in world.client(world.alice).get(f"/invoices/{invoice.pk}/").content.decode()
    notes = etree.fromstring(invoice_cii_xml(invoice)).xpath(
        "//ram:IncludedNote/ram:Content/text()", namespaces=NS
    )
    assert not any("TEST" in note for note in notes)


def test_the_test_invoice_and_its_credit_note_say_so_in_valid_xml(world, vat):
    """In a note (BT-22): CII's TestIndicator is not part of the EN 16931 profile, whose XSD
    refuses it."""
    with_identity(world.acme, SELLER)
    with_identity(world.alpha, BUYER)
    as_test_account(world.alpha)
    invoice = finalize(world, world.alpha)
    note = credit_note_issue(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 2), reason="Trial")
    for xml, mark in (
        (invoice_cii_xml(invoice), BANNER),
        (credit_note_cii_xml(note), "TEST — not a valid credit note"),
    ):
        root = etree.fromstring(xml)
        notes = root.xpath("//ram:IncludedNote/ram:Content/text()", namespaces=NS)
        assert any(text.startswith(mark) for text in notes)
        assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    text = pdf_text(credit_note_pdf(note).pdf.read()).replace("\n", " ")
    assert "TEST — not a valid credit note" in text
