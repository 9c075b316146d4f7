"""Cards and paying invoices against localstripe: our services, gateway and records run for
real; the fake plays Stripe and, where a browser would, Stripe.js."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from billing.models import PaymentMethod, PaymentSettings
from billing.payments.gateways import GatewayError
from billing.payments.services import (
    attempt_refresh,
    card_setup_start,
    invoice_pay,
    payment_method_remove,
    payment_method_save,
    payment_method_set_default,
)
from tests import stripe_fake

pytestmark = pytest.mark.django_db


def save_card(world, fake, number=stripe_fake.CARD_OK, *, actor=None, customer=None):
    customer = customer or world.alpha
    actor = actor or world.alice
    _key, secret = card_setup_start(customer=customer, actor=actor)
    fake.browser_saves_card(secret, number)
    return payment_method_save(customer=customer, setup_id=secret.split("_secret_")[0], actor=actor)


def test_the_stripe_keys_are_stored_encrypted(stripe_acme, world):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stripe_secret_key, stripe_webhook_secret FROM billing_paymentsettings"
        )
        raw = cursor.fetchone()
    assert "sk_test_kontor" not in raw[0] and "whsec_kontor" not in raw[1]
    config = PaymentSettings.objects.get(tenant=world.acme)
    assert config.stripe_secret_key == "sk_test_kontor"


def test_a_saved_card_keeps_only_its_token_brand_last_four_and_expiry(stripe_acme, world):
    first = save_card(world, stripe_acme)
    assert (first.brand, first.last4, first.exp_year, first.is_default) == (
        "visa",
        "4242",
        2034,
        True,
    )
    assert first.token.startswith("pm_")
    second = save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    assert second.is_default is False and second.last4 == "0341"
    assert world.alpha.payment_methods.count() == 2


def test_a_card_stripe_refused_is_not_saved(stripe_acme, world):
    _key, secret = card_setup_start(customer=world.alpha, actor=world.alice)
    answer = stripe_acme.browser_saves_card(secret, stripe_fake.CARD_DECLINED)
    assert answer["error"]["code"] == "card_declined"
    with pytest.raises(GatewayError):
        payment_method_save(
            customer=world.alpha, setup_id=secret.split("_secret_")[0], actor=world.alice
        )
    assert not PaymentMethod.objects.exists()


def test_a_setup_of_another_customer_cannot_be_claimed(stripe_acme, world):
    _key, secret = card_setup_start(customer=world.bravo, actor=world.bob)
    stripe_acme.browser_saves_card(secret)
    with pytest.raises(GatewayError):
        payment_method_save(
            customer=world.alpha, setup_id=secret.split("_secret_")[0], actor=world.alice
        )


def test_paying_an_invoice_with_a_saved_card(stripe_acme, world, invoice):
    card = save_card(world, stripe_acme)
    attempt = invoice_pay(invoice=invoice, method=card, actor=world.alice)
    invoice.refresh_from_db()
    assert attempt.status == "succeeded" and attempt.intent_id.startswith("pi_")
    assert invoice.status == "paid" and invoice.amount_due == 0
    payment = attempt.payment
    assert payment.method == "card" and payment.amount == Decimal("119.00")
    assert payment.allocations.get().invoice == invoice
    assert attempt.idempotency_key == f"kontor-{world.acme.pk}-invoice-{invoice.pk}-attempt-1"
    with pytest.raises(ValidationError):  # nothing left to pay
        invoice_pay(invoice=invoice, method=card, actor=world.alice)


def test_a_declined_card_leaves_the_invoice_open_with_the_reason(stripe_acme, world, invoice):
    card = save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    attempt = invoice_pay(invoice=invoice, method=card, actor=world.alice)
    invoice.refresh_from_db()
    assert attempt.status == "failed" and "declined" in attempt.failure_message
    assert invoice.status == "open" and invoice.amount_paid == 0
    good = save_card(world, stripe_acme)
    second = invoice_pay(invoice=invoice, method=good, actor=world.alice)
    assert second.number == 2 and second.status == "succeeded"


def test_3d_secure_is_confirmed_in_the_browser_then_recorded_once(stripe_acme, world, invoice):
    card = save_card(world, stripe_acme, stripe_fake.CARD_3DS)
    attempt = invoice_pay(invoice=invoice, method=card, actor=world.alice)
    assert attempt.status == "requires_action" and attempt.client_secret
    stripe_acme.browser_authenticates(attempt.client_secret)
    attempt = attempt_refresh(attempt=attempt, actor=world.alice)
    again = attempt_refresh(attempt=attempt, actor=world.alice)
    invoice.refresh_from_db()
    assert attempt.status == again.status == "succeeded"
    assert invoice.status == "paid" and invoice.allocations.count() == 1


def test_part_payments_only_where_the_business_allows_them(stripe_acme, world, invoice):
    card = save_card(world, stripe_acme)
    with pytest.raises(ValidationError, match="in full"):
        invoice_pay(invoice=invoice, method=card, actor=world.alice, amount=Decimal("50"))
    PaymentSettings.objects.filter(tenant=world.acme).update(partial_payments_allowed=True)
    invoice_pay(invoice=invoice, method=card, actor=world.alice, amount=Decimal("50"))
    invoice.refresh_from_db()
    assert invoice.status == "open" and invoice.amount_due == Decimal("69.00")
    with pytest.raises(ValidationError):
        invoice_pay(invoice=invoice, method=card, actor=world.alice, amount=Decimal("70"))


def test_only_the_customers_billing_contacts_and_staff_may_pay(stripe_acme, world, invoice):
    from tests.factories import ContactFactory

    card = save_card(world, stripe_acme)
    member = ContactFactory(customer=world.alpha, role="member").user
    with pytest.raises(PermissionDenied):  # a member of Alpha only looks
        invoice_pay(invoice=invoice, method=card, actor=member)
    with pytest.raises(PermissionDenied):
        invoice_pay(invoice=invoice, method=card, actor=world.bob)
    with pytest.raises(PermissionDenied):
        invoice_pay(invoice=invoice, method=card, actor=world.staff["acme", "support"])
    bobs = save_card(world, stripe_acme, actor=world.bob, customer=world.bravo)
    with pytest.raises(PermissionDenied):  # another customer's card
        invoice_pay(invoice=invoice, method=bobs, actor=world.alice)
    attempt = invoice_pay(invoice=invoice, method=card, actor=world.staff["acme", "billing"])
    assert attempt.status == "succeeded"


def test_removing_the_default_card_promotes_the_newest_other(stripe_acme, world):
    first = save_card(world, stripe_acme)
    second = save_card(world, stripe_acme, stripe_fake.CARD_3DS)
    third = save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    payment_method_set_default(method=second, actor=world.alice)
    assert PaymentMethod.objects.get(is_default=True) == second
    payment_method_remove(method=second, actor=world.alice)
    assert PaymentMethod.objects.get(is_default=True) == third
    assert set(world.alpha.payment_methods.all()) == {first, third}
    with pytest.raises(PermissionDenied):
        payment_method_remove(method=first, actor=world.bob)


def test_a_bank_transfer_business_takes_no_cards(world):
    with pytest.raises(GatewayError):
        card_setup_start(customer=world.alpha, actor=world.alice)


def test_an_unanswered_charge_is_retried_under_the_same_key(stripe_acme, world, invoice, settings):
    card = save_card(world, stripe_acme)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: no answer
    first = invoice_pay(invoice=invoice, method=card, actor=world.alice)
    assert first.status == "processing" and "could not be reached" in first.failure_message
    settings.STRIPE_API_BASE = stripe_acme.url
    again = invoice_pay(invoice=invoice, method=card, actor=world.alice)
    assert again.pk == first.pk and again.status == "succeeded"
    assert again.idempotency_key.endswith("attempt-1")
    assert invoice.payment_attempts.count() == 1


def test_a_card_stripe_no_longer_knows_fails_clearly(stripe_acme, world, invoice):
    gone = PaymentMethod.objects.create(
        tenant=world.acme,
        customer=world.alpha,
        token="pm_gone",
        brand="visa",
        last4="0000",
        exp_month=1,
        exp_year=2030,
    )
    attempt = invoice_pay(invoice=invoice, method=gone, actor=world.alice)
    assert attempt.status == "failed" and attempt.failure_message
