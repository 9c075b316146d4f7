"""Documents fixed at issue: PDFs are stored by a worker right after the issuing transaction
commits (never inside the billing run), and print what was issued, never later state."""

from datetime import date
from decimal import Decimal

import pytest

from billing.collections.statements import statement
from billing.documents.credit_notes import credit_note_issue
from billing.documents.services import (
    invoice_add_line,
    invoice_create_draft,
    invoice_finalize,
    invoice_void,
)
from billing.models import CreditNote, Invoice, TaxRate
from billing.payments.services import invoice_mark_paid
from billing.run import services as billing
from contracts.services import customer_update
from core.roles import SYSTEM
from quotes.approval import quote_approve
from subscriptions.services import subscription_order
from tests.factories import TariffFactory
from tests.helpers import pdf_text
from tests.quotes.helpers import TODAY, approval, sent_quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxed(world):
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal("19"), is_default=True)
    return world


def draft(world, amount="100"):
    invoice = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    invoice_add_line(invoice=invoice, description="Work", unit_price=Decimal(amount), actor=SYSTEM)
    return invoice


def text_of(content: bytes) -> str:
    return " ".join(pdf_text(content).split())


def test_finalizing_stores_the_pdf_by_a_worker_after_commit(
    taxed, eager_tasks, django_capture_on_commit_callbacks
):
    invoice = draft(taxed)
    with django_capture_on_commit_callbacks() as callbacks:
        invoice = invoice_finalize(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 1))
    # Given the transaction committed, nothing was rendered inside it ...
    assert not Invoice.objects.get(pk=invoice.pk).pdf
    # ... when the queued work runs, then the PDF is stored, with its checksum.
    for callback in callbacks:
        callback()
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.pdf and len(stored.pdf_sha256) == 64
    assert invoice.number in text_of(stored.pdf.open("rb").read())


def test_a_credit_note_pdf_is_stored_after_commit(
    taxed, eager_tasks, django_capture_on_commit_callbacks
):
    invoice = invoice_finalize(invoice=draft(taxed), actor=SYSTEM, today=date(2026, 3, 1))
    with django_capture_on_commit_callbacks() as callbacks:
        note = credit_note_issue(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 2), reason="x")
    assert not CreditNote.objects.get(pk=note.pk).pdf
    for callback in callbacks:
        callback()
    assert CreditNote.objects.get(pk=note.pk).pdf_sha256


def test_the_billing_run_renders_no_pdf_itself_and_its_workers_store_them_all(
    taxed, eager_tasks, django_capture_on_commit_callbacks
):
    tariff = TariffFactory(module__tenant=taxed.acme, module__name="Helpdesk", price="49.00")
    for customer in (taxed.alpha, taxed.bravo):
        subscription_order(
            customer=customer, tariff=tariff, actor=SYSTEM, start_on=date(2026, 1, 15)
        )
    with django_capture_on_commit_callbacks() as callbacks:
        stats = billing.billing_run(today=date(2026, 2, 20))
    issued = Invoice.objects.filter(tenant=taxed.acme).exclude(number="")
    assert stats.invoices == issued.count() == 4
    # The run committed its batches without a single PDF: rendering is the workers' job.
    assert not issued.exclude(pdf="").exists()
    for callback in callbacks:
        callback()
    assert not issued.filter(pdf="").exists()


def test_a_quote_approved_becomes_an_invoice_whose_pdf_a_worker_stores(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    quote = sent_quote(world.alpha)
    with django_capture_on_commit_callbacks() as callbacks:
        quote = quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
    assert not Invoice.objects.get(pk=quote.invoice_id).pdf
    for callback in callbacks:
        callback()
    assert Invoice.objects.get(pk=quote.invoice_id).pdf_sha256


def test_the_pdf_prints_what_was_issued_whatever_happens_later(taxed):
    invoice = invoice_finalize(invoice=draft(taxed), actor=SYSTEM, today=date(2026, 3, 1))
    client = taxed.client(taxed.alice)
    # Downloaded before any worker stored it: rendered from the frozen data, then stored.
    first = text_of(b"".join(client.get(f"/invoices/{invoice.pk}/pdf").streaming_content))
    assert "Credited" not in first and "Due €" not in first
    customer_update(
        customer=taxed.alpha,
        actor=taxed.staff["acme", "billing"],
        changes={"billing_street": "1 New Road", "billing_city": "Elsewhere"},
    )
    credit_note_issue(
        invoice=invoice,
        actor=SYSTEM,
        today=date(2026, 3, 2),
        reason="Discount",
        quantities={invoice.lines.get().pk: Decimal("0.25")},
    )
    invoice_mark_paid(
        invoice=Invoice.objects.get(pk=invoice.pk), actor=SYSTEM, amount=Decimal("50")
    )
    later = text_of(b"".join(client.get(f"/invoices/{invoice.pk}/pdf").streaming_content))
    assert later == first
    assert "New Road" not in later and "€119.00" in later
    # The page is where what happened since is shown.
    page = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "Credited" in page and "Due" in page and "€39.25" in page


def test_a_pdf_rendered_late_still_prints_the_issued_state(taxed):
    """No worker ran (the broker was down): the first download, after a credit note and a
    change of address, still prints the invoice as issued."""
    invoice = invoice_finalize(invoice=draft(taxed), actor=SYSTEM, today=date(2026, 3, 1))
    customer_update(
        customer=taxed.alpha,
        actor=taxed.staff["acme", "billing"],
        changes={"billing_street": "1 New Road"},
    )
    credit_note_issue(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 2), reason="Outage")
    client = taxed.client(taxed.alice)
    text = text_of(b"".join(client.get(f"/invoices/{invoice.pk}/pdf").streaming_content))
    assert invoice.number in text and "€119.00" in text
    assert "New Road" not in text and "Credited" not in text and "Due €" not in text


# Statements --------------------------------------------------------------------------------


def french_with_address(world):
    world.alpha.language = "fr"
    world.alpha.billing_company = "Alpha SARL"
    world.alpha.billing_street = "12 rue de la Paix"
    world.alpha.billing_postal_code = "75002"
    world.alpha.billing_city = "Paris"
    world.alpha.billing_country = "FR"
    world.alpha.save()
    return world


PERIOD = "start=2026-03-01&end=2026-03-31"


def test_the_statement_is_in_the_customers_language_whatever_the_browser_says(taxed):
    french_with_address(taxed)
    invoice_finalize(invoice=draft(taxed), actor=SYSTEM, today=date(2026, 3, 1))
    client = taxed.client(taxed.alice)
    page = client.get(f"/invoices/statement/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de")
    html = page.content.decode()
    assert "Solde d&#x27;ouverture" in html or "Solde d'ouverture" in html
    assert "Solde de clôture" in html and "Facture INV-2026-000001" in html
    assert "Anfangssaldo" not in html and "Opening balance" not in html
    assert "Kontoauszug" in html  # the portal around it stays in the viewer's language
    pdf = client.get(f"/invoices/statement/pdf?{PERIOD}", HTTP_ACCEPT_LANGUAGE="de")
    text = text_of(pdf.content)
    assert "Relevé de compte" in text and "Solde de clôture" in text
    assert "Anfangssaldo" not in text and "Kontoauszug" not in text


def test_the_statement_names_the_buyer_with_its_billing_address(taxed):
    french_with_address(taxed)
    invoice_finalize(invoice=draft(taxed), actor=SYSTEM, today=date(2026, 3, 1))
    client = taxed.client(taxed.alice)
    text = text_of(client.get(f"/invoices/statement/pdf?{PERIOD}").content)
    for needed in ("Alpha SARL", "12 rue de la Paix", "75002 Paris", "A-1"):
        assert needed in text, needed
    page = client.get(f"/invoices/statement/?{PERIOD}").content.decode()
    assert "12 rue de la Paix" in page and "75002 Paris" in page


def test_the_statement_keeps_void_invoices_listed(taxed):
    kept = invoice_finalize(invoice=draft(taxed), actor=SYSTEM, today=date(2026, 3, 1))
    voided = invoice_finalize(invoice=draft(taxed, "50"), actor=SYSTEM, today=date(2026, 3, 2))
    note = invoice_void(
        invoice=voided,
        actor=taxed.staff["acme", "owner"],
        reason="Wrong customer",
        today=date(2026, 3, 3),
    )
    result = statement(customer=taxed.alpha, start=date(2026, 3, 1), end=date(2026, 3, 31))
    labels = [e.label for e in result.entries]
    assert labels[:2] == [f"Invoice {kept.number}", f"Invoice {voided.number} (void)"]
    assert note.number in labels[2]  # the credit note that cancels it, listed beside it
    assert result.closing == Decimal("119.00")  # the void one and its note net to nothing


def test_statements_leave_test_documents_apart(taxed):
    staff = taxed.staff["acme", "owner"]
    customer_update(customer=taxed.alpha, actor=staff, changes={"is_test_account": True})
    tried = invoice_finalize(invoice=draft(taxed, "10"), actor=SYSTEM, today=date(2026, 3, 1))
    invoice_mark_paid(invoice=tried, actor=SYSTEM, amount=Decimal("11.90"))
    # The test account's own statement: its test documents, marked as a test.
    client = taxed.client(taxed.alice)
    page = client.get(f"/invoices/statement/?{PERIOD}").content.decode()
    assert tried.number in page and "Test account" in page
    pdf = text_of(client.get(f"/invoices/statement/pdf?{PERIOD}").content)
    assert "Test account" in pdf and tried.number in pdf
    # Once a real account, its statement never shows the invoices (nor payments) of its tests.
    customer_update(customer=taxed.alpha, actor=staff, changes={"is_test_account": False})
    taxed.alpha.refresh_from_db()
    real = invoice_finalize(invoice=draft(taxed), actor=SYSTEM, today=date(2026, 3, 5))
    result = statement(customer=taxed.alpha, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert [e.label for e in result.entries] == [f"Invoice {real.number}"]
    assert not result.is_test and result.closing == Decimal("119.00")
    page = client.get(f"/invoices/statement/?{PERIOD}").content.decode()
    assert tried.number not in page and "Test account" not in page
