"""A contact buys a support package on the Credits page and sees its departments switched on
(desktop and phone width); staff find the purchase in the purchased packages list and switch
a department by hand on the customer page."""

import pytest
from django.core.management import call_command

from contracts.models import Contact
from portal.demo import DEMO_PASSWORD
from subscriptions.models import AccessSource, DepartmentAccess, Package
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def access_of(page, department: str) -> str:
    return page.locator(f"tr[data-department='{department}'] .access-state").inner_text()


def test_buying_a_package_switches_its_departments_on(live_server, page, shoot):
    call_command("seed_demo")
    customer = Contact.objects.get(user__email="customer2@acme.test").customer
    package = Package.objects.get(tenant__slug="acme", name="50 support tickets")

    page.goto(tenant_url(live_server, "acme", "/credits/"))
    page.fill("input[name=login]", "customer2@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    # This demo contact has not yet accepted the current terms: the portal asks first.
    page.locator("form input[type=checkbox]").check()
    page.click("button:has-text('Accept and continue')")
    page.wait_for_selector("#department-access")
    assert access_of(page, "Development") == "Switched off"
    shoot("e2e-portal-department-access-before")

    page.click(f"a[href='/credits/packages/{package.pk}/']")
    page.click("button:has-text('Buy for')")
    page.goto(tenant_url(live_server, "acme", "/credits/"))
    page.wait_for_selector("#department-access")
    assert access_of(page, "Development") == "Switched on"
    assert access_of(page, "Support") == "Switched on"
    assert access_of(page, "Live chat") == "Switched off"  # not in this package
    assert "From a package" in page.locator("tr[data-department='Development']").inner_text()
    page.locator("#department-access").scroll_into_view_if_needed()
    shoot("e2e-portal-department-access")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot("e2e-portal-department-access-phone")
    page.set_viewport_size({"width": 1280, "height": 860})

    # The back office: the purchase in the list, then Live chat switched on by hand.
    page.context.clear_cookies()
    page.goto(tenant_url(live_server, "acme", "/manage/subscriptions/packagepurchase/"))
    page.fill("input[name=login]", "billing@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("#result_list")
    first_row = page.locator("#result_list tbody tr").first.inner_text()
    assert "50 support tickets" in first_row and "50 credits" in first_row
    shoot("e2e-backoffice-purchased-packages")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot("e2e-backoffice-purchased-packages-phone")
    page.set_viewport_size({"width": 1280, "height": 860})

    page.goto(tenant_url(live_server, "acme", f"/manage/contracts/customer/{customer.pk}/change/"))
    page.locator("#department-access tr[data-department='Live chat'] button").click()
    assert "Live chat is switched on" in page.locator(".messagelist").inner_text()
    assert access_of(page, "Live chat") == "Switched on"
    page.locator("#department-access").scroll_into_view_if_needed()
    shoot("e2e-backoffice-customer-department-access")
    access = DepartmentAccess.objects.get(customer=customer, department__name="Live chat")
    assert access.is_enabled and access.source == AccessSource.STAFF
