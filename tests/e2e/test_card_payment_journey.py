"""A customer saves a card through Stripe.js (localstripe's) in real Chromium, pays an open
invoice with it, and sees it paid and listed — and no card number ever reaches Kontor."""

import pytest
from django.core.management import call_command
from django.db import connection

from billing.models import Invoice
from contracts.models import Contact
from core.models import Tenant
from portal.demo import DEMO_PASSWORD
from tests.conftest import take_cards_through
from tests.e2e.conftest import enter_test_card, tenant_url
from tests.stripe_fake import CARD_OK

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def every_stored_text() -> str:
    """All rows of all tables, as text: where a card number would show if it were stored."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 — names from the database
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_save_a_card_pay_an_invoice_and_see_it_paid(
    live_server, page, shoot, fake_stripe, settings
):
    call_command("seed_demo")
    acme = Tenant.objects.get(slug="acme")
    take_cards_through(fake_stripe, acme, settings)
    customer = Contact.objects.get(user__email="customer1@acme.test").customer
    invoice = Invoice.objects.filter(customer=customer, status="open").order_by("id").first()
    posted = []  # every body the browser sent to Kontor
    page.on(
        "request",
        lambda r: posted.append(r.post_data or "") if "localhost" in r.url else None,
    )

    page.goto(tenant_url(live_server, "acme", "/payment-methods/add/"))
    page.fill("input[name=login]", "customer1@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    enter_test_card(page, postal_code="10115")
    shoot("e2e-card-add")
    page.click("#card-setup button[type=submit]")
    page.wait_for_selector("text=Your card Visa •••• 4242 (12/2034) is saved.")
    shoot("e2e-payment-methods")

    page.goto(tenant_url(live_server, "acme", f"/invoices/{invoice.pk}/"))
    page.click(f"a[href='/invoices/{invoice.pk}/pay/']")
    page.wait_for_selector("text=Pay now")
    shoot("e2e-invoice-pay")
    page.click("button:has-text('Pay now')")
    page.wait_for_selector("text=Thank you")
    shoot("e2e-invoice-paid")
    invoice.refresh_from_db()
    assert invoice.status == "paid"

    page.click("nav a[href='/payments/']")
    page.wait_for_selector(f"text={invoice.number}")
    shoot("e2e-payments")

    assert not any(CARD_OK in body for body in posted)
    assert CARD_OK not in every_stored_text()


def test_pay_from_the_emailed_link_without_logging_in(
    live_server, page, shoot, fake_stripe, settings
):
    from billing.documents.links import invoice_link_path

    fake_stripe.reset()
    call_command("seed_demo")
    take_cards_through(fake_stripe, Tenant.objects.get(slug="acme"), settings)
    invoice = Invoice.objects.filter(tenant__slug="acme", status="open").order_by("id").first()
    page.goto(tenant_url(live_server, "acme", invoice_link_path(invoice)))
    page.click("a:has-text('Pay by card')")
    enter_test_card(page)
    shoot("e2e-link-pay")
    page.click("#card-setup button[type=submit]")
    page.wait_for_selector("text=Thank you: the invoice is paid.")
    shoot("e2e-link-paid")
    invoice.refresh_from_db()
    assert invoice.status == "paid"
