"""A stranger opens a payment link in real Chromium, signs up on it (the business's open
self-registration is off: the link is the invitation), reviews the order with the link's
discount, saves the 3-D Secure test card, confirms the payment with the bank and lands on the
new subscription."""

import pytest
from django.core.management import call_command

from billing.models import Checkout, PaymentLink
from core.models import Tenant
from tests.conftest import take_cards_through
from tests.e2e.conftest import enter_test_card, tenant_url
from tests.stripe_fake import CARD_3DS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def authenticate(page) -> None:
    """localstripe's stand-in for the bank's 3-D Secure page: a dialog to confirm."""
    page.click("text=Complete authentication")


def test_a_stranger_buys_through_a_payment_link_with_3d_secure(
    live_server, page, shoot, fake_stripe, settings
):
    fake_stripe.reset()
    call_command("seed_demo")
    acme = Tenant.objects.get(slug="acme")
    acme.self_registration_enabled = False
    acme.save()
    take_cards_through(fake_stripe, acme, settings)
    link = PaymentLink.objects.get(tenant=acme, discount_code__isnull=False)

    page.goto(tenant_url(live_server, "acme", f"/buy/{link.slug}/"))
    assert link.name in page.locator("h1").inner_text()
    shoot("e2e-link-page")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot("e2e-link-page-390")
    page.set_viewport_size({"width": 1280, "height": 860})
    page.fill("input[name=company]", "Wayne Enterprises")
    page.fill("input[name=street]", "1007 Mountain Drive")
    page.fill("input[name=postal_code]", "10115")
    page.fill("input[name=city]", "Berlin")
    page.fill("input[name=country]", "DE")
    page.fill("input[name=full_name]", "Bruce Wayne")
    page.fill("input[name=email]", "bruce@wayne.test")
    page.fill("input[name=password]", "a-long-and-unusual-passphrase-42")
    page.locator("form button[type=submit]").last.click()

    # The review: the link's tariff, its code's line, the dates; the terms accepted here.
    page.wait_for_selector(".summary")
    summary = page.locator(".summary").inner_text()
    assert "WELCOME10" in summary and "Renews on" in summary
    page.locator("input[name=accept_terms]").check()
    shoot("e2e-link-review")
    page.click("button[value=place]")

    # No card yet: save the 3-D Secure test card, which the bank asks to confirm.
    page.wait_for_selector("h1:has-text('Pay your order')")
    shoot("e2e-link-pay-no-card")
    page.click("a:has-text('Add a card to pay')")
    enter_test_card(page, number=CARD_3DS, postal_code="10115")
    page.click("#card-setup button[type=submit]")
    authenticate(page)
    page.wait_for_selector("h1:has-text('Pay your order')")
    shoot("e2e-link-pay")
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_selector("text=Confirm your payment")
    authenticate(page)
    page.wait_for_selector("text=Thank you")
    shoot("e2e-link-subscription")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot("e2e-link-subscription-390")

    checkout = Checkout.objects.get(customer__name="Wayne Enterprises")
    assert checkout.status == "completed" and checkout.payment_link == link
    assert checkout.invoice.status == "paid" and checkout.subscription.status == "active"
    assert page.url.endswith(f"/subscriptions/{checkout.subscription_id}/")
