"""A customer opens an e-mailed quote in real Chromium, approves it (typed name, terms ticked)
and pays the invoice it became with a card through Stripe.js (localstripe's); and a billing
contact approves one from the portal after logging in."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from contracts.models import Contact
from core.models import Tenant
from core.roles import SYSTEM
from portal.demo import DEMO_PASSWORD
from quotes.lifecycle import quote_send
from quotes.links import quote_link_path
from quotes.models import QuoteStatus
from tests.conftest import take_cards_through
from tests.e2e.conftest import enter_test_card, tenant_url
from tests.quotes.helpers import pending_quote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_sent_quote(customer):
    today = timezone.localdate()
    return quote_send(
        quote=pending_quote(customer, recurring=False, today=today), actor=SYSTEM, today=today
    )


def test_approve_a_quote_from_its_link_and_pay_the_invoice(
    live_server, page, shoot, fake_stripe, settings
):
    fake_stripe.reset()
    call_command("seed_demo")
    acme = Tenant.objects.get(slug="acme")
    take_cards_through(fake_stripe, acme, settings)
    customer = Contact.objects.get(user__email="customer1@acme.test").customer
    quote = a_sent_quote(customer)

    page.goto(tenant_url(live_server, "acme", quote_link_path(quote)))
    page.wait_for_selector("text=Approve this quote")
    page.check("input[name=accept_terms]")
    page.fill("input[name=name]", "Carla Customer")
    shoot("e2e-quote-link")
    page.click("#approve button[type=submit]")
    page.wait_for_selector("text=is approved")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.CONVERTED
    assert quote.approver_name == "Carla Customer" and quote.approver_user_agent
    enter_test_card(page)
    shoot("e2e-quote-pay")
    page.click("#card-setup button[type=submit]")
    page.wait_for_selector("text=Thank you: the invoice is paid.")
    shoot("e2e-quote-paid")
    quote.invoice.refresh_from_db()
    assert quote.invoice.status == "paid"


def test_a_billing_contact_logs_in_and_approves_from_the_portal(
    live_server, page, shoot, fake_stripe, settings
):
    fake_stripe.reset()
    call_command("seed_demo")
    take_cards_through(fake_stripe, Tenant.objects.get(slug="acme"), settings)
    customer = Contact.objects.get(user__email="customer1@acme.test").customer
    quote = a_sent_quote(customer)

    page.goto(tenant_url(live_server, "acme", "/quotes/"))
    page.fill("input[name=login]", "customer1@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.click(f"a[href='/quotes/{quote.pk}/']")
    page.wait_for_selector("text=Approve this quote")
    page.check("input[name=accept_terms]")
    shoot("e2e-quote-portal")
    page.click("#approve button[type=submit]")
    page.wait_for_selector("text=is approved")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.CONVERTED
    assert page.url.endswith(f"/invoices/{quote.invoice_id}/pay/")
    shoot("e2e-quote-portal-pay")
