"""A customer who asked for XRechnung finds the PDF, its Factur-X XML and the XRechnung side by
side on an invoice, at desktop and phone width; staff find the same three in the back office."""

import pytest
from django.core.management import call_command

from billing.models import Invoice
from contracts.models import Contact
from portal.demo import DEMO_PASSWORD
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, email: str) -> None:
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")


def test_the_pdf_the_factur_x_xml_and_the_xrechnung_side_by_side(live_server, page, shoot):
    call_command("seed_demo")
    customer = Contact.objects.get(user__email="customer1@acme.test").customer
    assert customer.einvoice_format == "xrechnung"
    invoice = Invoice.objects.filter(customer=customer).exclude(number="").first()

    page.goto(tenant_url(live_server, "acme", f"/invoices/{invoice.pk}/"))
    log_in(page, "customer1@acme.test")
    page.wait_for_selector(f"h1:has-text('{invoice.number}')")
    shoot("e2e-portal-invoice-downloads")
    for label, name in (
        ("Download PDF", f"{invoice.number}.pdf"),
        ("XML (e-invoice)", f"{invoice.number}.xml"),
        ("XRechnung (XML)", f"{invoice.number}-xrechnung.xml"),
    ):
        with page.expect_download() as download:
            page.click(f"p.actions a:has-text('{label}')")
        assert download.value.suggested_filename == name
    page.set_viewport_size({"width": 360, "height": 780})
    page.reload()
    shoot("e2e-portal-invoice-downloads-phone")
    page.set_viewport_size({"width": 1280, "height": 860})

    page.context.clear_cookies()  # staff next, in a fresh session
    page.goto(tenant_url(live_server, "acme", f"/manage/billing/invoice/{invoice.pk}/change/"))
    log_in(page, "billing@acme.test")
    page.wait_for_selector(".object-tools a:has-text('XRechnung XML')")
    shoot("e2e-backoffice-invoice-downloads")
    for label in ("PDF", "Factur-X XML", "XRechnung XML"):
        assert page.locator(f"a:has-text('{label}')").count() >= 1, label
    with page.expect_download() as download:
        page.click("a:has-text('XRechnung XML')")
    assert download.value.suggested_filename == f"{invoice.number}-xrechnung.xml"
