"""Paying from the e-mailed invoice link, without logging in, with a card entered there."""

import pytest

from billing.documents.links import invoice_link_path
from billing.models import PaymentMethod
from core.roles import SYSTEM
from tests import stripe_fake
from tests.billing.test_signed_links import anonymous

pytestmark = pytest.mark.django_db


def pay_page(client, path):
    page = client.get(f"{path}pay/").content.decode()
    return page.split('data-client-secret="')[1].split('"')[0]


@pytest.mark.parametrize("keep", [False, True])
def test_paying_from_the_link_with_a_new_card(stripe_acme, world, invoice, keep):
    client, path = anonymous(world.acme), invoice_link_path(invoice)
    assert f"{path}pay/" in client.get(path).content.decode()
    secret = pay_page(client, path)
    stripe_acme.browser_saves_card(secret)
    data = {"setup_intent": secret.split("_secret_")[0], **({"save_card": "1"} if keep else {})}
    response = client.post(f"{path}pay/", data, follow=True)
    assert "Thank you: the invoice is paid." in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert PaymentMethod.objects.filter(customer=world.alpha).exists() is keep


def test_3d_secure_from_the_link(stripe_acme, world, invoice):
    client, path = anonymous(world.acme), invoice_link_path(invoice)
    secret = pay_page(client, path)
    stripe_acme.browser_saves_card(secret, stripe_fake.CARD_3DS)
    page = client.post(f"{path}pay/", {"setup_intent": secret.split("_secret_")[0]})
    content = page.content.decode()
    assert "Confirm your payment" in content
    action = content.split('id="payment-confirm" action="')[1].split('"')[0]
    assert action.startswith(f"{path}pay/")
    stripe_acme.browser_authenticates(content.split('data-client-secret="')[1].split('"')[0])
    response = client.post(action, follow=True)
    assert "Thank you" in response.content.decode()
    assert not PaymentMethod.objects.exists()  # not asked to keep it


def test_a_declined_card_says_why(stripe_acme, world, invoice):
    client, path = anonymous(world.acme), invoice_link_path(invoice)
    secret = pay_page(client, path)
    stripe_acme.browser_saves_card(secret, stripe_fake.CARD_DECLINED_OFF_SESSION)
    response = client.post(
        f"{path}pay/", {"setup_intent": secret.split("_secret_")[0]}, follow=True
    )
    assert "The payment failed: Your card was declined." in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == "open"


def test_a_spoiled_link_cannot_pay(stripe_acme, world, invoice):
    client, path = anonymous(world.acme), invoice_link_path(invoice)
    spoiled = path.replace(path.split(":")[-2][-3:], "xyz")
    assert client.get(f"{spoiled}pay/").status_code == 404
    assert client.post(f"{spoiled}pay/1/confirmed/").status_code == 404
    assert anonymous(world.globex).get(f"{path}pay/").status_code == 404


def test_no_card_payment_where_the_business_takes_bank_transfers(world, invoice):
    client, path = anonymous(world.acme), invoice_link_path(invoice)
    assert f"{path}pay/" not in client.get(path).content.decode()


def test_a_link_confirms_only_its_own_invoices_attempts(stripe_acme, world, invoice):
    from billing.documents.services import invoice_finalize
    from billing.models import PaymentAttempt
    from tests.billing.test_invoices import draft

    other = invoice_finalize(
        invoice=draft(world, ("x", "1", "5")), actor=SYSTEM, today=invoice.issue_date
    )
    foreign = PaymentAttempt.objects.create(
        tenant=world.acme,
        customer=world.alpha,
        invoice=other,
        number=1,
        amount=other.gross_amount,
        currency="EUR",
        status="requires_action",
    )
    path = invoice_link_path(invoice)
    assert anonymous(world.acme).post(f"{path}pay/{foreign.pk}/confirmed/").status_code == 404


def test_a_link_page_cannot_finish_the_portals_card_setup_nor_the_reverse(
    stripe_acme, world, invoice
):
    from billing.payments.services import card_setup_start

    _key, portal_secret = card_setup_start(customer=world.alpha, actor=world.alice)
    stripe_acme.browser_saves_card(portal_secret)
    client, path = anonymous(world.acme), invoice_link_path(invoice)
    response = client.post(
        f"{path}pay/", {"setup_intent": portal_secret.split("_secret_")[0]}, follow=True
    )
    assert "That card setup is unknown." in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == "open" and not invoice.payment_attempts.exists()
    link_secret = pay_page(client, path)
    stripe_acme.browser_saves_card(link_secret)
    portal = world.client(world.alice).post(
        "/payment-methods/add/", {"setup_intent": link_secret.split("_secret_")[0]}, follow=True
    )
    assert "That card setup is unknown." in portal.content.decode()
    assert not PaymentMethod.objects.exists()


def test_a_payment_under_way_is_a_message_not_a_500(stripe_acme, world, invoice):
    from billing.models import PaymentAttempt

    PaymentAttempt.objects.create(
        tenant=world.acme,
        customer=world.alpha,
        invoice=invoice,
        number=1,
        amount=invoice.gross_amount,
        currency="EUR",
        intent_id="pi_under_way",
    )
    client, path = anonymous(world.acme), invoice_link_path(invoice)
    secret = pay_page(client, path)
    stripe_acme.browser_saves_card(secret)
    response = client.post(
        f"{path}pay/", {"setup_intent": secret.split("_secret_")[0]}, follow=True
    )
    assert response.status_code == 200 and "already under way" in response.content.decode()
    assert not PaymentMethod.objects.exists()  # not asked to keep it


def test_a_card_kept_from_the_link_becomes_the_default(stripe_acme, world, invoice):
    from tests.billing.test_payments import save_card

    old = save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    client, path = anonymous(world.acme), invoice_link_path(invoice)
    secret = pay_page(client, path)
    stripe_acme.browser_saves_card(secret)
    client.post(f"{path}pay/", {"setup_intent": secret.split("_secret_")[0], "save_card": "1"})
    new = PaymentMethod.objects.exclude(pk=old.pk).get()
    assert new.is_default and not PaymentMethod.objects.get(pk=old.pk).is_default
