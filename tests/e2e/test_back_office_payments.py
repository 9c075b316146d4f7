"""Back office, in real Chromium: the owner's payment settings, a card added on a customer's
behalf through Stripe.js, and a bank transfer spread over open invoices."""

import pytest
from django.core.management import call_command

from billing.models import PaymentMethod
from contracts.models import Contact
from core.models import Tenant
from portal.demo import DEMO_PASSWORD
from tests.conftest import take_cards_through
from tests.e2e.conftest import enter_test_card, tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, path, email):
    page.goto(tenant_url(live_server, "acme", path))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")


def test_staff_add_a_card_for_a_customer_and_record_a_transfer(
    live_server, page, shoot, fake_stripe, settings
):
    fake_stripe.reset()
    call_command("seed_demo")
    acme = Tenant.objects.get(slug="acme")
    take_cards_through(fake_stripe, acme, settings)
    customer = Contact.objects.get(user__email="customer1@acme.test").customer

    log_in(page, live_server, "/manage/billing/paymentsettings/", "owner@acme.test")
    page.click("a:has-text('Acme: Stripe')")
    page.wait_for_selector("text=Leave blank to keep it.")
    shoot("e2e-backoffice-payment-settings")
    page.click("a:has-text('Log out'), button:has-text('Log out')")

    log_in(
        page, live_server, f"/manage/contracts/customer/{customer.pk}/change/", "billing@acme.test"
    )
    page.click("a:has-text('Add a card')")
    enter_test_card(page, expiry=("11", "33"))
    shoot("e2e-backoffice-add-card")
    page.click("#card-setup [type=submit]")
    page.wait_for_selector("text=is saved for")
    card = PaymentMethod.objects.get(customer=customer)
    assert card.added_by.email == "billing@acme.test" and card.exp_year == 2033

    page.click("a:has-text('Record a payment')")
    page.wait_for_selector("input[name=amount]")
    page.fill("input[name=amount]", "50")
    page.fill("input[name=reference]", "Transfer 0815")
    shoot("e2e-backoffice-customer-payment")
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist >> text=Payment recorded, receipt")
    from billing.models import Payment

    payment = Payment.objects.get(customer=customer, reference="Transfer 0815")
    first = payment.allocations.get()  # 50 € pays the older open invoice (79.73) in part
    assert payment.amount == 50 and first.amount == 50
