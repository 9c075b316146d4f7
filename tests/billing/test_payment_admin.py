"""The back office for taking money: settings with write-only keys, cards added on a customer's
behalf, attempts to look at."""

import pytest

from billing.models import PaymentMethod, PaymentSettings
from core.models import AuditEntry
from core.roles import SYSTEM
from tests.conftest import client_for
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db


def test_the_owner_sets_stripe_keys_that_are_never_shown_back(world):
    owner = client_for(world.staff["acme", "owner"], world.acme)
    add = "/manage/billing/paymentsettings/add/"
    data = admin_form_data(
        owner.get(add),
        gateway="stripe",
        stripe_publishable_key="pk_live_abcdefghijklmnop",
        stripe_secret_key="sk_live_0123456789abcdefWXYZ",
        stripe_webhook_secret="whsec_0123456789abcdef",
        retry_days="[1, 3, 5, 7]",
        final_action="uncollectible",
    )
    assert owner.post(add, data).status_code == 302
    config = PaymentSettings.objects.get(tenant=world.acme)
    assert config.stripe_secret_key == "sk_live_0123456789abcdefWXYZ"
    page = owner.get(f"/manage/billing/paymentsettings/{config.pk}/change/").content.decode()
    assert "sk_live_0123456789abcdefWXYZ" not in page and "sk_live_…WXYZ" in page
    assert "whsec_0123456789abcdef" not in page
    logged = str(list(AuditEntry.objects.values_list("before", "after")))
    assert "sk_live_0123456789abcdefWXYZ" not in logged and "secret " in logged
    # Blank keeps the stored secret.
    change = f"/manage/billing/paymentsettings/{config.pk}/change/"
    data = admin_form_data(owner.get(change), partial_payments_allowed="on")
    assert owner.post(change, data).status_code == 302
    config.refresh_from_db()
    assert config.stripe_secret_key == "sk_live_0123456789abcdefWXYZ"
    assert config.partial_payments_allowed is True
    billing = client_for(world.staff["acme", "billing"], world.acme)
    assert billing.post(change, data).status_code == 403


def test_stripe_without_keys_is_a_form_error(world):
    owner = client_for(world.staff["acme", "owner"], world.acme)
    add = "/manage/billing/paymentsettings/add/"
    data = admin_form_data(owner.get(add), gateway="stripe", retry_days="[1, 3]")
    response = owner.post(add, data)
    assert response.status_code == 200 and "needs its publishable and secret keys" in (
        response.content.decode()
    )


def test_clearing_the_retry_days_means_no_retries(world):
    # Given payment settings with the usual retries
    owner = client_for(world.staff["acme", "owner"], world.acme)
    add = "/manage/billing/paymentsettings/add/"
    owner.post(add, admin_form_data(owner.get(add), retry_days="[1, 3]"))
    config = PaymentSettings.objects.get(tenant=world.acme)
    change = f"/manage/billing/paymentsettings/{config.pk}/change/"
    # When the owner clears the field
    response = owner.post(change, admin_form_data(owner.get(change), retry_days=""))
    # Then it is saved as an explicit empty schedule: a failed charge is not retried
    assert response.status_code == 302
    config.refresh_from_db()
    assert config.retry_days == []
    assert owner.get(change).status_code == 200


def test_billing_staff_add_a_card_for_a_customer(stripe_acme, world):
    staff = world.staff["acme", "billing"]
    client = client_for(staff, world.acme)
    customer_page = client.get(f"/manage/contracts/customer/{world.alpha.pk}/change/")
    url = f"/manage/billing/paymentmethod/add-for/{world.alpha.pk}/"
    assert url in customer_page.content.decode()
    page = client.get(url).content.decode()
    secret = page.split('data-client-secret="')[1].split('"')[0]
    stripe_acme.browser_saves_card(secret)
    response = client.post(url, {"setup_intent": secret.split("_secret_")[0]})
    assert response.status_code == 302
    card = PaymentMethod.objects.get(customer=world.alpha)
    assert card.added_by == staff and card.is_default
    entry = AuditEntry.objects.get(action="payment_method.add")
    assert entry.actor == staff
    cards = client.get(f"/manage/billing/paymentmethod/?customer__id__exact={world.alpha.pk}")
    assert cards.status_code == 200 and "4242" in cards.content.decode()
    support = client_for(world.staff["acme", "support"], world.acme)
    assert support.get(url).status_code == 403
    other = client_for(world.staff["globex", "billing"], world.globex)
    assert other.get(url).status_code == 404


def test_attempts_are_listed_read_only(stripe_acme, world):
    client = client_for(world.staff["acme", "support"], world.acme)
    assert client.get("/manage/billing/paymentattempt/").status_code == 200
    assert client.get("/manage/billing/paymentattempt/add/").status_code == 403
    assert client.get("/manage/billing/dunningcase/").status_code == 200


def test_a_payment_by_transfer_is_spread_over_open_invoices_oldest_first(world, invoice):
    from datetime import date
    from decimal import Decimal

    from billing.documents.services import invoice_finalize
    from billing.models import CustomerCreditEntry, Payment
    from tests.billing.test_invoices import draft

    later = invoice_finalize(
        invoice=draft(world, ("Later", "1", "100")), actor=SYSTEM, today=date(2026, 4, 1)
    )
    client = client_for(world.staff["acme", "billing"], world.acme)
    url = f"/manage/contracts/customer/{world.alpha.pk}/payment/"
    assert (
        url in client.get(f"/manage/contracts/customer/{world.alpha.pk}/change/").content.decode()
    )
    response = client.post(
        url,
        {
            "amount": "250.00",
            "received_on": "2026-04-10",
            "method": "cash",
            "reference": "Till 7",
            "invoices": [invoice.pk, later.pk],
        },
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    later.refresh_from_db()
    assert invoice.status == later.status == "paid"
    payment = Payment.objects.get()
    assert payment.method == "cash" and payment.allocations.count() == 2
    assert CustomerCreditEntry.objects.get().amount == Decimal("12.00")  # 250 − 2 × 119
    support = client_for(world.staff["acme", "support"], world.acme)
    assert support.get(url).status_code == 403
    other = client_for(world.staff["globex", "billing"], world.globex)
    assert other.get(url).status_code == 404
    bad = client.post(url, {"amount": "x", "received_on": "nope", "method": "cash"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


@pytest.mark.parametrize(
    "invoice_id", ["9" * 30, str(2**63), "-1", "abc", "1.5", "1e3"], ids=lambda v: v[:12]
)
def test_an_invoice_id_no_invoice_can_have_is_a_form_error(world, invoice, invoice_id):
    from billing.models import Payment

    client = client_for(world.staff["acme", "billing"], world.acme)
    url = f"/manage/contracts/customer/{world.alpha.pk}/payment/"
    response = client.post(
        url,
        {
            "amount": "10.00",
            "received_on": "2026-04-10",
            "method": "cash",
            "invoices": [invoice.pk, invoice_id],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["invoices"]
    assert not Payment.objects.exists()


@pytest.mark.parametrize("amount", ["1e29", "9" * 30, "0.001", "NaN", "Infinity"])
def test_an_amount_the_ledger_cannot_hold_is_a_form_error(world, invoice, amount):
    from billing.models import Payment

    client = client_for(world.staff["acme", "billing"], world.acme)
    url = f"/manage/contracts/customer/{world.alpha.pk}/payment/"
    response = client.post(url, {"amount": amount, "received_on": "2026-04-10", "method": "cash"})
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert not Payment.objects.exists()


def test_the_demo_points_acme_at_the_local_stripe(world, fake_stripe, settings):
    from django.core.management import call_command

    settings.STRIPE_API_BASE = fake_stripe.url
    call_command("demo_stripe", "--webhook-base", "http://127.0.0.1:8000")
    config = PaymentSettings.objects.get(tenant=world.acme)
    assert config.takes_cards and config.stripe_webhook_secret == "whsec_kontor_demo"
