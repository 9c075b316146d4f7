import pytest
from django.core.management import call_command

from portal.demo import DEMO_PASSWORD
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_reads_the_billing_schedule_on_a_desktop_and_a_phone(live_server, page, shoot):
    call_command("seed_demo")
    page.goto(tenant_url(live_server, "acme", "/subscriptions/"))
    page.fill("input[name=login]", "customer1@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("h1:has-text('Subscriptions')")
    page.click("#schedule-link")
    page.wait_for_selector("h1:has-text('Billing schedule')")
    assert page.locator(".sidenav a.active").inner_text().strip() == "Billing schedule"
    rows = page.locator(".schedule-table tbody tr:not(.schedule-month)")
    assert rows.count() >= 12  # a monthly subscription alone renews twelve times
    assert page.locator(".schedule-summary").first.is_visible()
    assert page.locator(".schedule-outlook").count() >= 1
    shoot("e2e-billing-schedule-desktop")

    page.set_viewport_size({"width": 360, "height": 780})
    page.reload()
    page.wait_for_selector("h1:has-text('Billing schedule')")
    # No sideways scrolling: the table's rows stack as cards.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator(".schedule-table td[data-label]").first.is_visible()
    shoot("e2e-billing-schedule-phone")
