"""The portal's payment pages: saved cards, paying an invoice, payments made."""

from datetime import date

import pytest

from billing.models import PaymentMethod, PaymentSettings
from core.roles import SYSTEM
from tests import stripe_fake
from tests.billing.test_payments import save_card
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db


def test_the_cards_page_lists_cards_with_default_and_expiry_warnings(stripe_acme, world):
    save_card(world, stripe_acme)
    soon = save_card(world, stripe_acme, stripe_fake.CARD_3DS)
    today = date.today()
    PaymentMethod.objects.filter(pk=soon.pk).update(exp_month=today.month, exp_year=today.year)
    page = world.client(world.alice).get("/payment-methods/").content.decode()
    assert "•••• 4242" in page and "•••• 3155" in page and "Default" in page
    assert "This card expires soon" in page
    assert "/payment-methods/add/" in page
    assert "4242" not in world.client(world.bob).get("/payment-methods/").content.decode()


def test_a_bank_transfer_business_shows_its_bank_details(world):
    world.acme.iban, world.acme.bic = "DE89370400440532013000", "COBADEFFXXX"
    world.acme.save()
    page = world.client(world.alice).get("/payment-methods/").content.decode()
    assert "DE89370400440532013000" in page and "/payment-methods/add/" not in page
    response = world.client(world.alice).get("/payment-methods/add/")
    assert response.status_code == 302  # with a message saying so


def test_the_add_page_loads_stripe_js_and_saves_what_stripe_confirmed(stripe_acme, world):
    client = world.client(world.alice)
    page = client.get("/payment-methods/add/").content.decode()
    assert f"{stripe_acme.url}/js.stripe.com/v3/" in page and 'data-client-secret="seti_' in page
    secret = page.split('data-client-secret="')[1].split('"')[0]
    stripe_acme.browser_saves_card(secret)
    response = client.post(
        "/payment-methods/add/", {"setup_intent": secret.split("_secret_")[0], "next": "/x"}
    )
    assert response.status_code == 302 and response["Location"] == "/x"
    assert world.alpha.payment_methods.get().last4 == "4242"


@pytest.mark.parametrize("target", ["foo", "dashboard", "//evil.example"])
def test_a_next_that_is_no_path_returns_to_the_cards_page(stripe_acme, world, target):
    client = world.client(world.alice)
    page = client.get(f"/payment-methods/add/?next={target}").content.decode()
    secret = page.split('data-client-secret="')[1].split('"')[0]
    stripe_acme.browser_saves_card(secret)
    response = client.post(
        "/payment-methods/add/", {"setup_intent": secret.split("_secret_")[0], "next": target}
    )
    assert response.status_code == 302 and response["Location"] == "/payment-methods/"


def test_a_forged_setup_id_is_a_message_not_a_500(stripe_acme, world):
    client = world.client(world.alice)
    response = client.post("/payment-methods/add/", {"setup_intent": "seti_forged"}, follow=True)
    assert response.status_code == 200 and "That card setup is unknown" in response.content.decode()
    assert not PaymentMethod.objects.exists()


def test_members_only_look(stripe_acme, world):
    from tests.factories import ContactFactory

    member = ContactFactory(customer=world.alpha, role="member").user
    assert world.client(member).get("/payment-methods/add/").status_code == 403


def test_removing_the_last_card_warns_about_renewals(stripe_acme, world):
    from subscriptions.services import subscription_order
    from tests.factories import TariffFactory

    card = save_card(world, stripe_acme)
    subscription_order(
        customer=world.alpha,
        tariff=TariffFactory(module__tenant=world.acme),
        actor=SYSTEM,
        start_on=date(2026, 3, 1),
    )
    client = world.client(world.alice)
    page = client.get(f"/payment-methods/{card.pk}/remove/").content.decode()
    assert "This is your last card and 1 subscription renews with it" in page
    assert client.post(f"/payment-methods/{card.pk}/remove/").status_code == 302
    assert not PaymentMethod.objects.exists()


def test_paying_from_the_portal_says_how_it_went(stripe_acme, world, invoice):
    good = save_card(world, stripe_acme)
    bad = save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    client = world.client(world.alice)
    assert f"/invoices/{invoice.pk}/pay/" in client.get(f"/invoices/{invoice.pk}/").content.decode()
    page = client.post(f"/invoices/{invoice.pk}/pay/", {"method": bad.pk}).content.decode()
    assert "The payment failed: Your card was declined." in page
    response = client.post(f"/invoices/{invoice.pk}/pay/", {"method": good.pk}, follow=True)
    assert "Thank you: €119.00 was paid" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    payments = client.get("/payments/").content.decode()
    assert invoice.number in payments and "Card" in payments
    payment = invoice.allocations.get().payment
    receipt = client.get(f"/payments/{payment.pk}/receipt")
    assert receipt["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(b"".join(receipt.streaming_content)).split())
    number = payment.receipt.number
    for needed in ("Payment receipt", number, invoice.number, "€119.00", "Visa •••• 4242", "Acme"):
        assert needed in text, needed
    assert invoice.number not in world.client(world.bob).get("/payments/").content.decode()


def test_3d_secure_goes_through_the_browser_and_back(stripe_acme, world, invoice):
    card = save_card(world, stripe_acme, stripe_fake.CARD_3DS)
    client = world.client(world.alice)
    page = client.post(f"/invoices/{invoice.pk}/pay/", {"method": card.pk}).content.decode()
    assert "Confirm your payment" in page
    secret = page.split('data-client-secret="')[1].split('"')[0]
    action = page.split('id="payment-confirm" action="')[1].split('"')[0]
    stripe_acme.browser_authenticates(secret)
    response = client.post(action, follow=True)
    assert "Thank you" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_bad_pay_input_is_a_form_error(stripe_acme, world, invoice):
    save_card(world, stripe_acme)
    client = world.client(world.alice)
    for data in ({"method": "999999"}, {"method": "x"}, {}):
        response = client.post(f"/invoices/{invoice.pk}/pay/", data)
        assert response.status_code == 200 and "errorlist" in response.content.decode(), data
    PaymentSettings.objects.filter(tenant=world.acme).update(partial_payments_allowed=True)
    card = world.alpha.payment_methods.get()
    response = client.post(f"/invoices/{invoice.pk}/pay/", {"method": card.pk, "amount": "500"})
    assert "That is more than is due." in response.content.decode()


@pytest.mark.usefixtures("no_page_cache")
def test_the_payment_pages_cost_the_same_with_more_rows(world):
    from decimal import Decimal

    from billing.documents.services import invoice_finalize
    from billing.models import TaxRate
    from billing.payments.services import invoice_mark_paid
    from tests.billing.test_invoices import draft
    from tests.helpers import assert_max_queries

    TaxRate.objects.get_or_create(
        tenant=world.acme, is_default=True, defaults={"name": "S", "rate": Decimal(19)}
    )

    def paid_invoice_and_card(n):
        invoice = invoice_finalize(
            invoice=draft(world, ("x", "1", "10")), actor=SYSTEM, today=date(2026, 3, 1)
        )
        invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=invoice.gross_amount)
        PaymentMethod.objects.create(
            tenant=world.acme,
            customer=world.alpha,
            token=f"pm_{n}",
            brand="visa",
            last4="4242",
            exp_month=12,
            exp_year=2034,
        )

    client = world.client(world.alice)
    paid_invoice_and_card(0)
    for page in ("/payments/", "/payment-methods/"):
        client.get(page)
        with assert_max_queries(25) as few:
            client.get(page)
        for n in range(1, 8):
            paid_invoice_and_card(f"{page}{n}")
        with assert_max_queries(len(few.captured_queries)):
            client.get(page)
