from decimal import Decimal

import pytest
from django.core.management import call_command

from billing.models import CustomerCreditEntry
from core.roles import SYSTEM
from portal.demo import DEMO_PASSWORD
from subscriptions.discounts import discount_code_redeem
from subscriptions.models import DiscountCode, Subscription
from subscriptions.periods import local_today
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_reads_the_billing_schedule_on_a_desktop_and_a_phone(live_server, page, shoot):
    from django.utils import timezone

    call_command("seed_demo")
    hosting = Subscription.objects.get(
        customer__number="C-1001", tariff__module__name="Website hosting"
    )
    tenant = hosting.tenant
    today = local_today(timezone.now(), tenant.timezone)
    code = DiscountCode.objects.create(
        tenant=tenant, code="WELCOME", kind="percent", value=20, periods=2
    )
    discount_code_redeem(subscription=hosting, code=code, actor=SYSTEM, today=today)
    CustomerCreditEntry.objects.create(
        tenant=tenant, customer=hosting.customer, currency="EUR", amount=Decimal("100.00")
    )

    page.goto(tenant_url(live_server, "acme", "/subscriptions/"))
    page.fill("input[name=login]", "customer1@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("h1:has-text('Subscriptions')")
    # A tariff change, scheduled the customer's way: it shows on the schedule from its day.
    page.click("h2 a:has-text('Helpdesk')")
    page.click("a:has-text('Change tariff')")
    page.click(".choice:has-text('Team yearly')")
    page.click("button:has-text('Confirm the change')")
    page.click(".sidenav a:has-text('Subscriptions')")
    page.click("#schedule-link")
    page.wait_for_selector("h1:has-text('Billing schedule')")
    assert page.locator(".sidenav a.active").inner_text().strip() == "Billing schedule"
    rows = page.locator(".schedule-table tbody tr:not(.schedule-month)")
    assert rows.count() >= 11  # the monthly hosting alone renews eleven or twelve times
    assert page.locator(".schedule-notes:has-text('New tariff')").count() == 1
    assert page.locator(".schedule-notes:has-text('Discount')").count() == 2
    assert "€100.00" in page.locator(".schedule-summary").inner_text()
    assert page.locator(".schedule-outlook").count() == 2
    shoot("e2e-billing-schedule-desktop")

    page.set_viewport_size({"width": 360, "height": 780})
    page.reload()
    page.wait_for_selector("h1:has-text('Billing schedule')")
    # No sideways scrolling: the table's rows stack as cards.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator(".schedule-table td[data-label]").first.is_visible()
    shoot("e2e-billing-schedule-phone")
