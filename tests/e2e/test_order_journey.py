"""An existing customer orders a module from the catalogue in real Chromium: picks a tariff,
types the module's details, accepts the terms, places the order (the demo business is paid by
bank transfer: the subscription starts, its invoice is sent), then edits the details."""

import pytest
from django.core.management import call_command

from billing.models import Checkout, Invoice
from portal.demo import DEMO_PASSWORD
from subscriptions.models import Subscription
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_orders_from_the_catalogue_and_edits_the_details(live_server, page, shoot):
    call_command("seed_demo")
    page.goto(tenant_url(live_server, "acme", "/order/"))
    page.fill("input[name=login]", "customer1@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("h1:has-text('Order a module')")
    catalogue = page.locator("main").inner_text()
    assert "excl. VAT" in catalogue and "incl. VAT" in catalogue
    shoot("e2e-order-catalogue")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot("e2e-order-catalogue-390")
    page.set_viewport_size({"width": 1280, "height": 860})

    page.click("a:has-text('Order Business')")
    page.wait_for_selector("h1:has-text('Order Website hosting')")
    summary = page.locator(".summary").inner_text()
    assert "Your first invoice" in summary and "Renews on" in summary
    # The domain is required: the browser holds the order back until it is typed (the server
    # refuses it too: tests/billing/test_checkout.py).
    page.click("button[value=place]")
    assert page.locator("input[name=module_domain]:invalid").count() == 1
    assert not Subscription.objects.filter(tariff__name="Business", customer__number="C-1001")
    page.fill("input[name=module_domain]", "blog.northwind.test")
    accept = page.locator("input[name=accept_terms]")
    if accept.count():
        accept.check()
    shoot("e2e-order-review")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot("e2e-order-review-390")
    page.set_viewport_size({"width": 1280, "height": 860})
    page.click("button[value=place]")
    page.wait_for_selector("text=Thank you for your order")
    shoot("e2e-order-placed")

    subscription = Subscription.objects.get(module_data__domain="blog.northwind.test")
    assert subscription.status == "active" and subscription.tariff.name == "Business"
    invoice = Invoice.objects.get(subscription=subscription)
    assert invoice.status == "open" and Checkout.objects.get(subscription=subscription)
    assert invoice.number in page.locator("main").inner_text()

    page.click("#module-data a:has-text('Edit details')")
    page.fill("input[name=module_domain]", "www.blog.northwind.test")
    page.click("button:has-text('Save')")
    assert "The details are saved." in page.locator(".messages").inner_text()
    subscription.refresh_from_db()
    assert subscription.module_data["domain"] == "www.blog.northwind.test"
