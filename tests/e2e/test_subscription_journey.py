import pytest
from django.core.management import call_command

from portal.demo import DEMO_PASSWORD
from subscriptions.models import Subscription
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_changes_tariff_and_schedules_a_termination(live_server, page, shoot):
    call_command("seed_demo")
    page.goto(tenant_url(live_server, "acme", "/subscriptions/"))
    page.fill("input[name=login]", "customer1@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("h1:has-text('Subscriptions')")
    shoot("e2e-subscriptions")

    # Change the helpdesk from Team to Team yearly: preview first, then confirm.
    page.click("h2 a:has-text('Helpdesk')")
    page.click("a:has-text('Change tariff')")
    page.click(".choice:has-text('Team yearly')")
    assert page.locator(".preview h2").inner_text() == "Changing to Team yearly"
    shoot("e2e-change-preview")
    page.click("button:has-text('Confirm the change')")
    assert "Your tariff changes to Team yearly on" in page.locator(".messages").inner_text()
    assert "Changes to Team yearly on" in page.locator(".sub-card").inner_text()

    # Cancel the website hosting: the earliest date is shown, a reason is required.
    page.click("a:has-text('Subscriptions')")
    page.click("h2 a:has-text('Website hosting')")
    page.click("a:has-text('Cancel subscription')")
    last_day = page.locator(".big-fact strong").inner_text()
    page.click("button:has-text('Cancel subscription')")
    assert page.locator(".errorlist").first.is_visible()  # no reason, no confirmation yet
    page.fill("textarea[name=reason]", "We are moving our website in-house.")
    page.check("input[name=confirm]")
    page.click("button:has-text('Cancel subscription')")
    assert f"Ends on {last_day}" in page.locator(".sub-card").inner_text()
    shoot("e2e-cancelled")

    helpdesk = Subscription.objects.get(customer__number="C-1001", tariff__module__name="Helpdesk")
    hosting = Subscription.objects.get(
        customer__number="C-1001", tariff__module__name="Website hosting"
    )
    assert helpdesk.status == "scheduled_change" and helpdesk.scheduled_tariff.name == "Team yearly"
    assert hosting.status == "scheduled_end"
    assert hosting.cancellation_reason == "We are moving our website in-house."
