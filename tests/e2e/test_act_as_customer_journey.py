"""Act as customer in a real browser: a Billing staff member opens a customer's portal from the
customer's back-office page, sees the banner on every page (desktop and phone), and ends it in
one click, landing back on the customer's page."""

import pytest

from core.roles import StaffRole
from tests.e2e.conftest import tenant_url
from tests.factories import (
    PASSWORD,
    ContactFactory,
    CustomerFactory,
    StaffMembershipFactory,
    TenantFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_billing_staff_act_as_a_customer_and_end_it(live_server, page, shoot):
    acme = TenantFactory(slug="acme", name="Acme", primary_colour="#d1242f")
    customer = CustomerFactory(tenant=acme, name="Alpha Corp", number="A-1")
    ContactFactory(customer=customer, user__email="alice@example.test")
    staff = UserFactory(email="billing@acme.test", full_name="Bea Billing")
    StaffMembershipFactory(tenant=acme, user=staff, role=StaffRole.BILLING)

    change_url = f"/manage/contracts/customer/{customer.pk}/change/"
    page.goto(tenant_url(live_server, "acme", change_url))
    page.fill("input[name=login]", "billing@acme.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(tenant_url(live_server, "acme", change_url))
    shoot("act-as-backoffice-button-1280")
    page.click("button:has-text('Act as customer')")
    page.wait_for_url(tenant_url(live_server, "acme", "/"))

    banner = page.locator(".acting-banner")
    assert "billing@acme.test" in banner.inner_text()
    assert "Alpha Corp (A-1)" in banner.inner_text()
    shoot("act-as-banner-dashboard-1280")
    page.set_viewport_size({"width": 360, "height": 780})
    shoot("act-as-banner-dashboard-360")
    page.goto(tenant_url(live_server, "acme", "/contract/"))
    assert page.locator(".acting-banner").count() == 1
    shoot("act-as-banner-contract-360")
    page.set_viewport_size({"width": 1280, "height": 860})
    shoot("act-as-banner-contract-1280")
    # No horizontal scrolling on a phone with the banner.
    page.set_viewport_size({"width": 360, "height": 780})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size({"width": 1280, "height": 860})

    page.click(".acting-banner button:has-text('End')")
    page.wait_for_url(tenant_url(live_server, "acme", change_url))
    assert "You no longer act as Alpha Corp (A-1)." in page.content()
    shoot("act-as-ended-backoffice-1280")
