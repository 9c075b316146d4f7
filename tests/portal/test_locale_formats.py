"""Real pages, e-mails and PDFs write dates, numbers and money by their language's convention
(core/formats), the same way on each, in all five languages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from billing.documents.emails import send_invoice_issued
from billing.documents.pdf import invoice_pdf
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import TaxRate
from core.roles import SYSTEM
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Expected:
    issued: str  # 1 March 2026, the date convention
    due: str  # 31 March 2026
    period: str  # 1 March 2026, the short date (a line's service period)
    quantity: str  # 1250.5
    total: str  # 3001.20 EUR


EXPECTED = {
    "en": Expected("1 Mar 2026", "31 Mar 2026", "01/03/2026", "1,250.5", "€3,001.20"),
    "fr": Expected(
        "1 mars 2026", "31 mars 2026", "01/03/2026", "1\u202f250,5", "3\u202f001,20\xa0€"
    ),
    "de": Expected("01.03.2026", "31.03.2026", "01.03.2026", "1.250,5", "3.001,20\xa0€"),
    "it": Expected("1 mar 2026", "31 mar 2026", "01/03/2026", "1.250,5", "3.001,20\xa0€"),
    "tr": Expected("1 Mar 2026", "31 Mar 2026", "01.03.2026", "1.250,5", "€3.001,20"),
}


def issued_invoice(world, language: str):
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal("20"), is_default=True)
    world.alpha.language, world.alpha.payment_terms_days = language, 30
    world.alpha.save()
    invoice = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    invoice_add_line(
        invoice=invoice,
        description="Support minutes",
        unit_price=Decimal("2"),
        quantity=Decimal("1250.5"),
        actor=SYSTEM,
        service_start=date(2026, 3, 1),
        service_end=date(2026, 3, 31),
    )
    invoice = invoice_finalize(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 1))
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 3, 1), date(2026, 3, 31))
    assert invoice.gross_amount == Decimal("3001.20")
    return invoice


def one_spaced(text: str) -> str:
    # pdftotext lays words out with its own spaces; no-break spaces are spaces to str.split.
    return " ".join(text.split())


@pytest.mark.parametrize("language", EXPECTED)
def test_the_invoice_pages_write_dates_numbers_and_money_by_the_convention(world, language):
    expected = EXPECTED[language]
    invoice = issued_invoice(world, language)
    world.alice.language = language
    world.alice.save()
    client = world.client(world.alice)

    listing = client.get("/invoices/").content.decode()
    assert f">{expected.issued}</td>" in listing
    assert f">{expected.due}</td>" in listing
    assert expected.total in listing

    page = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert f"<dd>{expected.issued}</dd>" in page and f"<dd>{expected.due}</dd>" in page
    assert f'>{expected.quantity}</td>' in page
    assert expected.period in page
    assert expected.total in page


@pytest.mark.parametrize("language", EXPECTED)
def test_the_invoice_email_writes_them_in_the_customers_language(world, language):
    expected = EXPECTED[language]
    invoice = issued_invoice(world, language)
    mail.outbox.clear()
    assert send_invoice_issued(invoice.pk)
    body = mail.outbox[-1].body
    assert expected.total in body and expected.due in body


@pytest.mark.parametrize("language", EXPECTED)
def test_the_invoice_pdf_writes_them_in_the_customers_language(world, language):
    expected = EXPECTED[language]
    invoice = invoice_pdf(issued_invoice(world, language))
    text = one_spaced(pdf_text(invoice.pdf.open("rb").read()))
    for needed in (expected.issued, expected.due, expected.period, expected.quantity):
        assert one_spaced(needed) in text, needed
    assert one_spaced(expected.total) in text


def test_pages_follow_the_reader_and_documents_the_customer(world):
    """A contact reading in English downloads the German customer's invoice in German."""
    invoice = invoice_pdf(issued_invoice(world, "de"))
    world.alice.language = "en"
    world.alice.save()
    client = world.client(world.alice)
    page = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "<dd>1 Mar 2026</dd>" in page and EXPECTED["en"].total in page
    response = client.get(f"/invoices/{invoice.pk}/pdf")
    text = one_spaced(pdf_text(b"".join(response.streaming_content)))
    assert "01.03.2026" in text and one_spaced(EXPECTED["de"].total) in text
