import pytest
from django.core.management import call_command

from portal.demo import DEMO_PASSWORD
from subscriptions.models import Subscription
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_edits_the_module_data_of_a_subscription(live_server, page, shoot):
    call_command("seed_demo")
    page.goto(tenant_url(live_server, "acme", "/subscriptions/"))
    page.fill("input[name=login]", "customer1@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("h1:has-text('Subscriptions')")

    # The hosting's details: the domain is the customer's, the data centre the business's.
    page.click("h2 a:has-text('Website hosting')")
    details = page.locator("#module-data")
    assert "northwind.test" in details.inner_text()
    assert "Frankfurt" in details.inner_text()
    shoot("e2e-module-data-detail")
    page.click("#module-data a:has-text('Edit details')")
    assert page.locator("input[name=module_domain]").input_value() == "northwind.test"
    assert page.locator("input[name=module_data_centre]").count() == 0
    assert "Frankfurt" in page.locator(".card dl").inner_text()

    # A bad value: the domain is required, so emptying it is a form error.
    page.fill("input[name=module_domain]", "")
    page.click("button:has-text('Save')")
    assert "This field is required." in page.locator(".errorlist").inner_text()
    shoot("e2e-module-data-error")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot("e2e-module-data-error-390")
    page.set_viewport_size({"width": 1280, "height": 860})

    page.fill("input[name=module_domain]", "www.northwind.test")
    page.click("button:has-text('Save')")
    assert "The details are saved." in page.locator(".messages").inner_text()
    assert "www.northwind.test" in page.locator("#module-data").inner_text()
    shoot("e2e-module-data-saved")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot("e2e-module-data-saved-390")

    hosting = Subscription.objects.get(
        customer__number="C-1001", tariff__module__name="Website hosting"
    )
    assert hosting.module_data == {"domain": "www.northwind.test", "data_centre": "Frankfurt"}
