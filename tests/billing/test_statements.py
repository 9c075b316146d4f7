from datetime import date
from decimal import Decimal

import pytest

from billing.collections.statements import statement
from billing.documents.credit_notes import credit_note_issue
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import TaxRate
from billing.payments.services import invoice_mark_paid
from core.roles import SYSTEM
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db


def issue(world, amount, day):
    invoice = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    invoice_add_line(invoice=invoice, description="Work", unit_price=Decimal(amount), actor=SYSTEM)
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=day)


@pytest.fixture
def history(world):
    TaxRate.objects.create(tenant=world.acme, name="Zero", rate=Decimal(0), is_default=True)
    january = issue(world, 100, date(2026, 1, 10))
    invoice_mark_paid(
        invoice=january, actor=SYSTEM, amount=Decimal(100), received_on=date(2026, 1, 20)
    )
    february = issue(world, 200, date(2026, 2, 10))
    credit_note_issue(
        invoice=february,
        actor=SYSTEM,
        today=date(2026, 2, 12),
        reason="Too much",
        quantities={february.lines.get().pk: Decimal("0.5")},
    )
    issue(world, 50, date(2026, 3, 10))
    return world


def test_the_statement_adds_up(history):
    result = statement(customer=history.alpha, start=date(2026, 2, 1), end=date(2026, 3, 31))
    assert result.opening == Decimal(0)  # January invoiced 100 and paid 100
    assert [e.amount for e in result.entries] == [Decimal(200), Decimal(-100), Decimal(50)]
    assert result.closing == Decimal(150)
    whole = statement(customer=history.alpha, start=date(2026, 1, 1), end=date(2026, 3, 31))
    assert whole.closing == result.closing


def test_the_portal_shows_it_and_serves_a_pdf(history):
    client = history.client(history.alice)
    page = client.get("/invoices/statement/?start=2026-02-01&end=2026-03-31").content.decode()
    assert "Opening balance" in page and "Closing balance" in page and "€150.00" in page
    pdf = client.get("/invoices/statement/pdf?start=2026-02-01&end=2026-03-31")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(pdf.content).split())
    for needed in ("Opening balance", "Closing balance", "€150.00", "CN-2026-000001"):
        assert needed in text, needed


@pytest.mark.parametrize(
    "query",
    ["start=2026-03-01&end=2026-01-01", "start=nonsense&end=", "start=2020-01-01&end=2026-01-01"],
)
def test_bad_periods_are_form_errors_not_500s(history, query):
    client = history.client(history.alice)
    assert client.get(f"/invoices/statement/?{query}").status_code == 200
    assert client.get(f"/invoices/statement/pdf?{query}").status_code == 400


def test_another_customer_sees_only_their_own(history):
    page = history.client(history.bob).get("/invoices/statement/?start=2026-01-01&end=2026-12-31")
    assert "INV-2026" not in page.content.decode()


def test_far_away_years_are_a_form_error(history):
    client = history.client(history.alice)
    assert client.get("/invoices/statement/?start=0001-01-01&end=0001-02-01").status_code == 200
    assert client.get("/invoices/statement/pdf?start=0001-01-01&end=0001-02-01").status_code == 400
