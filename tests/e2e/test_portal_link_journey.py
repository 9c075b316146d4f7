"""The portal link in a real browser: billing staff copy a contact's link from the customer
page; the contact opens it, signs in with one click and lands on the dashboard; the used link
then says so. An invoice link leads into the portal; the login page sends a fresh link."""

from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from billing.models import Invoice
from contracts.models import Contact
from portal.demo import DEMO_PASSWORD
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def both_widths(page, shoot, name: str) -> None:
    shoot(f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 860})


def test_staff_copy_a_portal_link_and_the_contact_signs_in_once(
    live_server, open_window, shoot, page
):
    call_command("seed_demo")
    owner = Contact.objects.get(user__email="customer1@acme.test")
    page.goto(
        tenant_url(live_server, "acme", f"/manage/contracts/customer/{owner.customer_id}/change/")
    )
    page.fill("input[name=login]", "billing@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.click("a:has-text('Portal link')")
    assert page.locator("select[name=contact]").input_value() == str(owner.pk)
    both_widths(page, shoot, "portal-link-backoffice-form")
    page.click("input[name=copy]")
    link = page.locator("#portal-link").input_value()
    assert "/l/portal/" in link
    both_widths(page, shoot, "portal-link-backoffice-copied")

    contact_page = open_window()  # the contact's own browser, watched like `page`
    link = tenant_url(live_server, "acme", urlsplit(link).path)  # the test server's port
    contact_page.goto(link)
    assert "customer1@acme.test" in contact_page.content()
    contact_page.screenshot(path=str(_path("portal-link-page-1280")), full_page=True)
    contact_page.set_viewport_size({"width": 390, "height": 844})
    contact_page.screenshot(path=str(_path("portal-link-page-390")), full_page=True)
    contact_page.set_viewport_size({"width": 1280, "height": 860})
    contact_page.click("button:has-text('Go to your portal')")
    contact_page.wait_for_url(tenant_url(live_server, "acme", "/"))
    assert contact_page.locator(".sidenav-customer").inner_text() == owner.customer.name
    contact_page.screenshot(path=str(_path("portal-link-dashboard-1280")), full_page=True)
    contact_page.goto(link)
    assert "has been used already" in contact_page.content()
    contact_page.screenshot(path=str(_path("portal-link-used-1280")), full_page=True)
    contact_page.set_viewport_size({"width": 390, "height": 844})
    contact_page.screenshot(path=str(_path("portal-link-used-390")), full_page=True)


def _path(name: str):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def test_an_invoice_link_leads_to_the_login_with_the_address_filled_in(live_server, page, shoot):
    from billing.documents.links import invoice_link_path

    call_command("seed_demo")
    invoice = Invoice.objects.filter(tenant__slug="acme", status="open").first()
    page.goto(tenant_url(live_server, "acme", invoice_link_path(invoice) + "?email=ap%40x.test"))
    assert page.locator("text=Go to your portal").count() == 1
    both_widths(page, shoot, "portal-link-invoice-page")
    page.click("a:has-text('Go to your portal')")
    assert page.locator("input[name=login]").input_value() == "ap@x.test"
    both_widths(page, shoot, "portal-link-login-prefilled")
    page.click("a:has-text('E-mail me a sign-in link')")
    page.fill("input[name=email]", "customer1@acme.test")
    both_widths(page, shoot, "portal-link-request")
    page.click("button:has-text('Send me the link')")
    assert "a sign-in link is on its way" in page.content()
    both_widths(page, shoot, "portal-link-request-sent")
