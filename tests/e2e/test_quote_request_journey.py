"""A customer asks for a quote from the catalogue in a real browser; the business is e-mailed
by a Celery worker once the request is committed."""

import pytest
from django.core import mail
from django.core.management import call_command

from portal.demo import DEMO_PASSWORD
from quotes.models import QuoteRequest
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_requests_a_quote_and_the_business_is_emailed(
    live_server, page, shoot, run_tasks
):
    call_command("seed_demo")
    page.goto(tenant_url(live_server, "acme", "/"))
    page.fill("input[name=login]", "customer1@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("h1:has-text('Welcome')")

    # From the dashboard to the catalogue.
    page.click("a.button:has-text('Request a quote')")
    page.wait_for_selector("h1:has-text('Request a quote')")
    team = page.locator(".request-tariff", has=page.locator("strong", has_text="Team")).filter(
        has_not_text="yearly"
    )
    assert "€49.00" in team.inner_text() and "Minimum term 3 months" in team.inner_text()

    # Nothing chosen: the form says so, and nothing is sent.
    page.click("button:has-text('Send quote request')")
    assert "Choose at least one tariff" in page.locator(".message.error").inner_text()

    team.locator("input[name=tariffs]").check()
    team.locator("input[type=number]").fill("3")
    team.get_by_label("Extra agent").check()
    page.fill("textarea[name=note]", "Three seats for our support team, from May.")
    shoot("e2e-quote-request-form")
    page.click("button:has-text('Send quote request')")

    page.wait_for_selector(".message.success")
    assert "your quote request is with Acme" in page.locator(".messages").inner_text()
    assert "Helpdesk — Team" in page.locator("table").inner_text()
    assert "Extra agent" in page.locator("table").inner_text()
    shoot("e2e-quote-request-sent")

    page.click(".crumbs a:has-text('Your quote requests')")
    row = page.locator("tbody tr").first
    assert "Helpdesk — Team × 3 (+ Extra agent)" in row.inner_text()
    assert "Open" in row.inner_text()

    request = QuoteRequest.objects.get(customer__number="C-1001")
    assert request.note == "Three seats for our support team, from May."
    (item,) = request.items.all()
    assert (item.tariff.name, item.quantity) == ("Team", 3)
    assert [o.name for o in item.options.all()] == ["Extra agent"]

    # The worker e-mails the business once the request is committed (the demo's own e-mails,
    # queued while it was seeded, go out with it).
    def notices():
        return [
            m for m in mail.outbox if m.subject.endswith("Quote request from Northwind Traders")
        ]

    run_tasks(until=lambda: len(notices()) >= 1)
    (message,) = notices()
    assert message.to == ["sales@acme.test", "accounts@acme.test"]  # general, then CC
    assert request.customer.name in message.subject
    assert "Helpdesk — Team × 3, + Extra agent" in message.body
