import pytest
from django.core.management import call_command

from portal.demo import DEMO_PASSWORD
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_demo_customer_logs_in_switches_language_and_sees_the_dashboard(live_server, page, shoot):
    call_command("seed_demo")
    page.goto(tenant_url(live_server, "acme", "/"))

    # Not logged in: the login page, in Acme's branding.
    assert "/accounts/login/" in page.url
    assert page.locator(".brand-name").inner_text() == "Acme"
    page.fill("input[name=login]", "customer1@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")

    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == "Welcome, Northwind Owner"
    assert page.locator(".sidenav-customer").inner_text() == "Northwind Traders"
    brand = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand')")
    assert brand.strip() == "#d1242f"
    shoot("e2e-dashboard-en")

    # Switch to German with the header's language menu.
    with page.expect_navigation():
        page.select_option("#lang-select", "de")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("h1").inner_text() == "Willkommen, Northwind Owner"
    assert page.locator(".sidenav a.active").inner_text().strip() == "Übersicht"
    assert page.get_by_role("link", name="Rechnungen").first.is_visible()
    shoot("e2e-dashboard-de")

    # The quotes, still in German: the demo's pending quote first.
    page.click(".sidenav >> text=Angebote")
    assert page.locator("h1").inner_text() == "Angebote"
    assert page.get_by_role("heading", name="Wartet auf Annahme").is_visible()
    shoot("e2e-quotes-de")


def test_the_other_tenant_has_its_own_branding_and_staff_reach_its_back_office(
    live_server, page, shoot
):
    call_command("seed_demo")
    page.goto(tenant_url(live_server, "globex", "/manage/"))
    assert "/accounts/login/" in page.url
    brand = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand')")
    assert brand.strip() == "#0a7d55"
    page.fill("input[name=login]", "owner@globex.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("#site-name")
    assert page.locator("#site-name").inner_text() == "Globex"
    page.goto(tenant_url(live_server, "globex", "/manage/contracts/customer/"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3
    assert "Northwind" not in page.content()
    shoot("e2e-backoffice-globex")
