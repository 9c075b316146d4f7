import pytest
from django.core.management import call_command

from billing.models import Invoice
from core.roles import SYSTEM
from portal.demo import DEMO_PASSWORD
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_billing_staff_record_a_bank_transfer_on_an_open_invoice(live_server, page, shoot):
    call_command("seed_demo")
    invoice = Invoice.objects.filter(tenant__slug="acme", status="open").first()
    page.goto(tenant_url(live_server, "acme", f"/manage/billing/invoice/{invoice.pk}/change/"))
    page.fill("input[name=login]", "billing@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.click("a:has-text('Record a payment')")
    page.fill("input[name=amount]", "1")
    page.fill("input[name=reference]", "Transfer 4711")
    shoot("e2e-backoffice-payment")
    page.click("input[type=submit]")
    assert "Payment recorded." in page.locator(".messagelist").inner_text()
    shoot("e2e-backoffice-invoice-after-payment")
    invoice.refresh_from_db()
    assert invoice.amount_paid >= 1 and invoice.allocations.exists()

    # Credit part of it: the form offers each line up to what is still creditable.
    page.click("a:has-text('Issue a credit note')")
    page.fill("input[name=reason]", "Goodwill for the outage")
    page.locator("input[name^=line_]").first.fill("0.5")
    shoot("e2e-backoffice-credit-note")
    page.click("input[type=submit]")
    assert "Credit note" in page.locator(".messagelist").inner_text()
    assert invoice.credit_notes.get().reason == "Goodwill for the outage"


def test_the_customer_finds_a_credit_note_on_invoices_and_credits(live_server, page, shoot):
    from datetime import date

    from billing.documents.credit_notes import credit_note_issue
    from contracts.models import Contact

    call_command("seed_demo")
    customer = Contact.objects.get(user__email="customer1@acme.test").customer
    invoice = Invoice.objects.filter(customer=customer, status="paid").first()
    note = credit_note_issue(
        invoice=invoice, actor=SYSTEM, today=date.today(), reason="Goodwill for the outage"
    )
    page.goto(tenant_url(live_server, "acme", "/invoices/"))
    page.fill("input[name=login]", "customer1@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector(f"text={note.number}")
    shoot("e2e-portal-credit-notes")
    with page.expect_download() as download:
        page.click(f"a[href='/invoices/credit-notes/{note.pk}/pdf']")
    assert download.value.suggested_filename == f"{note.number}.pdf"
    # A paid invoice credited: the money waits as credit for the next invoices.
    page.click("nav a[href='/credits/']")
    page.wait_for_selector(f"text=Credit note {note.number}")
    assert page.locator(".big-number").last.inner_text() == f"€{invoice.gross_amount}"
    shoot("e2e-portal-credits")
