"""Ordering in the portal: the catalogue, the checkout's review, placing the order, paying its
first invoice (card, 3-D Secure, decline and retry) or having it sent (bank transfer)."""

import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from billing.documents.selectors import order_payments
from billing.models import Checkout, Invoice, PaymentLink, TaxRate
from billing.ordering.services import Choice, checkout_place, checkouts_settle_due
from billing.payments.services import payment_record
from billing.run.services import billing_run
from contracts.models import LegalAcceptance, VatRegime
from contracts.services import legal_document_publish
from core.roles import SYSTEM, ContactRole
from subscriptions.models import DiscountCode, ModuleField, Order, Subscription
from tests import stripe_fake
from tests.billing.test_payments import save_card
from tests.conftest import host_of
from tests.factories import ContactFactory, ModuleFactory, OptionFactory, TariffFactory
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def vat(world) -> TaxRate:
    return TaxRate.objects.create(
        tenant=world.acme, name="Standard", rate=Decimal(19), is_default=True
    )


@pytest.fixture
def hosting(world):
    """Hosting at €40 a month (12 months minimum, 30 days notice), an add-on at €5 a month."""
    module = ModuleFactory(tenant=world.acme, name="Hosting", description="Fast sites.")
    tariff = TariffFactory(
        module=module, name="Pro", price="40.00", minimum_term_months=12, notice_period_days=30
    )
    backup = OptionFactory(tenant=world.acme, name="Backups", unit_price="5.00")
    tariff.options.add(backup)
    return tariff


def hidden(page: str, name: str) -> str:
    marker = f'name="{name}" value="'
    return page.split(marker)[1].split('"')[0] if marker in page else ""


def review_form(client, tariff, url: str = "") -> dict:
    page = client.get(url or f"/order/tariffs/{tariff.pk}/").content.decode()
    return {
        "key": hidden(page, "key"),
        "terms": hidden(page, "terms"),
        "reviewed": hidden(page, "reviewed"),
        "quantity": "1",
        "action": "place",
    }


def place(client, tariff, url: str = "", **extra):
    """Review the choice (the summary the customer sees), then order it."""
    url = url or f"/order/tariffs/{tariff.pk}/"
    data = {**review_form(client, tariff, url), **extra, "action": "review"}
    page = client.post(url, data).content.decode()
    return client.post(url, {**data, "reviewed": hidden(page, "reviewed"), "action": "place"})


# The catalogue -----------------------------------------------------------------------------


def test_the_catalogue_shows_net_and_gross_for_the_customer(world, hosting):
    page = world.client(world.alice).get("/order/").content.decode()
    assert "Hosting" in page and "Fast sites." in page and "Pro" in page
    assert "€40.00" in page and "excl. VAT" in page and "€47.60" in page and "incl. VAT" in page
    assert "Minimum term 12 months" in page and "30 days notice" in page and "Backups" in page
    # A reverse-charge customer pays no VAT: the page says so instead of a gross price.
    world.alpha.vat_regime = VatRegime.REVERSE_CHARGE
    world.alpha.vat_id = "DE136695976"
    world.alpha.save()
    page = world.client(world.alice).get("/order/").content.decode()
    assert "€47.60" not in page and "no VAT charged to you" in page


def test_the_catalogue_reads_in_a_fixed_number_of_queries(world, hosting):
    client = world.client(world.alice)
    client.get("/order/")  # warm the session and tenant caches
    with assert_max_queries(12) as few:
        assert client.get("/order/").status_code == 200
    for _ in range(5):
        more = TariffFactory(module=ModuleFactory(tenant=world.acme), price="9.00")
        more.options.add(OptionFactory(tenant=world.acme))
    with assert_max_queries(len(few)):
        page = client.get("/order/").content.decode()
    assert page.count("/order/tariffs/") == 6


def test_off_sale_tariffs_and_other_businesses_tariffs_are_not_orderable(world, hosting):
    client = world.client(world.alice)
    other = TariffFactory(module=ModuleFactory(tenant=world.globex), price="1.00")
    assert client.get(f"/order/tariffs/{other.pk}/").status_code == 404
    hosting.is_active = False
    hosting.save()
    assert client.get(f"/order/tariffs/{hosting.pk}/").status_code == 404
    assert "Pro" not in client.get("/order/").content.decode()


# The review ---------------------------------------------------------------------------------


def test_the_review_shows_the_first_invoice_and_the_dates(world, hosting):
    client = world.client(world.alice)
    data = {
        **review_form(client, hosting),
        "quantity": "2",
        f"option_{hosting.options.get().pk}": "1",
        "action": "review",
    }
    page = client.post(f"/order/tariffs/{hosting.pk}/", data).content.decode()
    # 2 × €40 + 1 × €5 = €85 net, €16.15 VAT, €101.15 gross.
    for text in ("€85.00", "€16.15", "€101.15", "Starts on", "Renews on", "Earliest end"):
        assert text in page, text
    assert not Subscription.objects.filter(customer=world.alpha).exists()


def test_bad_input_on_the_review_is_a_form_error(world, hosting):
    client = world.client(world.alice)
    base = review_form(client, hosting)
    for bad in (
        {"quantity": "0"},
        {"quantity": "x"},
        {"quantity": "100000"},
        {"key": "nope"},
        {f"option_{hosting.options.get().pk}": "-1"},
        {"terms": "a,b"},
    ):
        response = client.post(f"/order/tariffs/{hosting.pk}/", {**base, **bad})
        assert (
            response.status_code == 200 and "errorlist" in response.content.decode()
        ) or "message error" in response.content.decode(), bad
    assert not Subscription.objects.filter(customer=world.alpha).exists()


# Bank transfer ------------------------------------------------------------------------------


def test_a_bank_transfer_business_starts_the_subscription_and_sends_the_invoice(
    world, hosting, mailoutbox, eager_tasks, django_capture_on_commit_callbacks
):
    client = world.client(world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = place(client, hosting, **{f"option_{hosting.options.get().pk}": "1"})
    subscription = Subscription.objects.get(customer=world.alpha)
    assert response.status_code == 302
    assert response["Location"] == f"/subscriptions/{subscription.pk}/"
    assert subscription.status == "active"
    invoice = Invoice.objects.get(subscription=subscription)
    assert invoice.status == "open" and invoice.gross_amount == Decimal("53.55")
    assert invoice.period_start == subscription.started_on
    checkout = Checkout.objects.get()
    assert checkout.status == "completed" and checkout.invoice == invoice
    assert Order.objects.get(subscription=subscription).title == str(hosting)
    # The run bills from the second period on, never the first again.
    assert subscription.next_invoice_on > subscription.started_on
    subjects = [m.subject for m in mailoutbox]
    assert any(invoice.number in s for s in subjects), subjects


def test_the_same_form_posted_twice_orders_once(world, hosting):
    client = world.client(world.alice)
    data = review_form(client, hosting)
    first = client.post(f"/order/tariffs/{hosting.pk}/", data)
    second = client.post(f"/order/tariffs/{hosting.pk}/", data)
    assert first["Location"] == second["Location"]
    assert Subscription.objects.filter(customer=world.alpha).count() == 1
    assert Invoice.objects.filter(customer=world.alpha).count() == 1


def test_only_roles_that_may_commit_money_order(world, hosting):
    member = ContactFactory(customer=world.alpha, role=ContactRole.MEMBER).user
    client = world.client(member)
    page = client.get(f"/order/tariffs/{hosting.pk}/").content.decode()
    assert "Ask your account owner or billing contact" in page and 'value="place"' not in page
    data = review_form(client, hosting)
    assert client.post(f"/order/tariffs/{hosting.pk}/", data).status_code == 403
    assert not Subscription.objects.filter(customer=world.alpha).exists()


def test_the_terms_are_accepted_at_checkout(world, hosting):
    terms = legal_document_publish(
        tenant=world.acme, kind="terms", version="3", title="Terms", body="…", actor=SYSTEM
    )
    client = world.client(world.alice)
    # The checkout asks for them itself, rather than sending the customer to the terms page.
    page = client.get(f"/order/tariffs/{hosting.pk}/").content.decode()
    assert "I accept" in page and f"/legal/{terms.pk}/" in page
    response = place(client, hosting)
    assert "Accept the terms to place the order." in response.content.decode()
    data = review_form(client, hosting)
    legal_document_publish(
        tenant=world.acme, kind="terms", version="4", title="Terms", body="new", actor=SYSTEM
    )
    response = client.post(f"/order/tariffs/{hosting.pk}/", {**data, "accept_terms": "on"})
    assert "The terms were updated while you were reading." in response.content.decode()
    assert not Subscription.objects.filter(customer=world.alpha).exists()
    response = place(client, hosting, accept_terms="on")
    assert response.status_code == 302
    assert LegalAcceptance.objects.filter(customer=world.alpha, document__version="4").exists()


def test_required_module_data_is_entered_at_checkout(world, hosting):
    ModuleField.objects.create(
        tenant=world.acme,
        module=hosting.module,
        key="domain",
        kind="text",
        editor="customer",
        required=True,
        label_en="Domain",
    )
    client = world.client(world.alice)
    page = client.get(f"/order/tariffs/{hosting.pk}/").content.decode()
    assert "Domain" in page
    response = place(client, hosting)
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Subscription.objects.exists()
    response = place(client, hosting, module_domain="example.org")
    assert response.status_code == 302
    assert Subscription.objects.get().module_data == {"domain": "example.org"}


# Card ---------------------------------------------------------------------------------------


def test_a_card_business_starts_the_subscription_once_the_card_paid(stripe_acme, world, hosting):
    card = save_card(world, stripe_acme)
    client = world.client(world.alice)
    response = place(client, hosting)
    checkout = Checkout.objects.get()
    assert response["Location"] == f"/order/checkouts/{checkout.key}/"
    subscription = checkout.subscription
    assert subscription.status == "pending" and checkout.invoice.status == "open"
    page = client.get(response["Location"]).content.decode()
    assert "Visa •••• 4242" in page and "€47.60" in page
    response = client.post(response["Location"], {"method": card.pk})
    assert response["Location"] == f"/subscriptions/{subscription.pk}/"
    subscription.refresh_from_db()
    checkout.refresh_from_db()
    assert subscription.status == "active" and checkout.status == "completed"
    assert checkout.invoice.status == "paid"
    # The order the subscription opened follows its first invoice.
    order = Order.objects.get(subscription=subscription)
    assert order_payments([order])[order.pk].state == "paid"


def test_a_decline_leaves_nothing_started_and_a_retry_pays_the_same_checkout(
    stripe_acme, world, hosting
):
    declined = save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    client = world.client(world.alice)
    pay_url = place(client, hosting)["Location"]
    page = client.post(pay_url, {"method": declined.pk}).content.decode()
    assert "The payment failed" in page
    checkout = Checkout.objects.get()
    assert checkout.status == "open" and checkout.subscription.status == "pending"
    # Ordering the same plan again leads to the same checkout, not a second subscription.
    assert place(client, hosting)["Location"] == pay_url
    assert "waiting for its payment" in client.get("/order/").content.decode()
    good = save_card(world, stripe_acme)
    client.post(pay_url, {"method": good.pk})
    assert Subscription.objects.filter(customer=world.alpha).count() == 1
    assert Invoice.objects.filter(customer=world.alpha).count() == 1
    assert Subscription.objects.get().status == "active"


def test_3d_secure_at_checkout(stripe_acme, world, hosting):
    card = save_card(world, stripe_acme, stripe_fake.CARD_3DS)
    client = world.client(world.alice)
    pay_url = place(client, hosting)["Location"]
    page = client.post(pay_url, {"method": card.pk}).content.decode()
    assert "Confirm your payment" in page
    secret = page.split('data-client-secret="')[1].split('"')[0]
    action = page.split('id="payment-confirm" action="')[1].split('"')[0].replace("&amp;", "&")
    stripe_acme.browser_authenticates(secret)
    response = client.post(action, follow=True)
    assert "Thank you" in response.content.decode()
    assert Subscription.objects.get().status == "active"


def test_an_unpaid_checkout_expires_and_undoes_itself(stripe_acme, world, hosting):
    save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    client = world.client(world.alice)
    place(client, hosting)
    checkout = Checkout.objects.get()
    assert checkouts_settle_due() == 0  # not yet
    assert checkouts_settle_due(now=timezone.now() + timedelta(hours=25)) == 1
    checkout.refresh_from_db()
    assert checkout.status == "expired"
    assert checkout.invoice.status == "void" and checkout.subscription.status == "ended"
    page = client.get(f"/order/checkouts/{checkout.key}/").content.decode()
    assert "not paid in time" in page
    # Ordering again is a new checkout.
    assert place(client, hosting).status_code == 302
    assert Checkout.objects.count() == 2


def test_a_checkout_is_its_customers_alone(stripe_acme, world, hosting):
    client = world.client(world.alice)
    place(client, hosting)
    checkout = Checkout.objects.get()
    for other in (world.bob, world.charlie):
        assert world.client(other).get(f"/order/checkouts/{checkout.key}/").status_code == 404
        assert (
            world.client(other)
            .post(f"/order/checkouts/{checkout.key}/confirmed/?attempt=1")
            .status_code
            == 404
        )
    assert client.post(f"/order/checkouts/{checkout.key}/confirmed/?attempt=x").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_same_checkout_posted_at_once_from_many_tabs_orders_once(world, hosting):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this)")
    key = uuid.uuid4()
    barrier = threading.Barrier(4)
    checkouts, errors = [], []

    def order() -> None:
        from django.db import connections  # each thread closes its own connection

        try:
            barrier.wait()
            checkouts.append(
                checkout_place(
                    customer=world.alpha,
                    actor=world.alice,
                    key=key,
                    choice=Choice(tariff=hosting),
                    module_data={},
                    terms_shown=[],
                    accepted=False,
                    today=timezone.localdate(),
                ).pk
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=order) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(checkouts)) == 1
    assert Subscription.objects.filter(customer=world.alpha).count() == 1
    assert Invoice.objects.filter(customer=world.alpha).count() == 1


def test_a_checkout_paid_elsewhere_starts_with_the_periodic_job(stripe_acme, world, hosting):
    """3-D Secure finished in a closed tab (the webhook records it), or staff booked a bank
    payment: the job that settles checkouts starts the subscription within minutes."""
    save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    place(world.client(world.alice), hosting)
    checkout = Checkout.objects.get()
    invoice = checkout.invoice
    # The run never bills a subscription that waits for its first payment.
    assert billing_run(today=timezone.localdate() + timedelta(days=400)).invoices == 0
    payment_record(
        customer=world.alpha,
        amount=invoice.gross_amount,
        currency="EUR",
        method="bank_transfer",
        reference="SEPA 1",
        received_on=timezone.localdate(),
        invoices=[invoice],
        actor=world.staff["acme", "billing"],
    )
    assert checkouts_settle_due() == 1
    checkout.refresh_from_db()
    assert checkout.status == "completed" and checkout.subscription.status == "active"
    # Once is enough: a second run changes nothing.
    assert checkouts_settle_due() == 0


# Discount codes -----------------------------------------------------------------------------


@pytest.fixture
def welcome(world, hosting):
    """10 % off the first 3 periods, for the Pro hosting tariff only, twice at most."""
    code = DiscountCode.objects.create(
        tenant=world.acme, code="WELCOME10", kind="percent", value=10, periods=3, max_uses=2
    )
    code.tariffs.add(hosting)
    return code


def test_a_discount_code_is_its_own_line_with_vat_after_the_discount(world, hosting, welcome):
    client = world.client(world.alice)
    data = {**review_form(client, hosting), "code": "welcome10", "action": "review"}
    page = client.post(f"/order/tariffs/{hosting.pk}/", data).content.decode()
    # €40 − 10 % = €36 net, VAT 19 % on €36 = €6.84, €42.84 gross.
    assert "Discount WELCOME10" in page and "€36.00" in page and "€42.84" in page
    # Placing what was not reviewed (the code typed after the summary) shows the summary again.
    unreviewed = {**data, "action": "place"}
    page = client.post(f"/order/tariffs/{hosting.pk}/", unreviewed).content.decode()
    assert "Your choice changed" in page and not Subscription.objects.exists()
    reviewed = {**unreviewed, "reviewed": hidden(page, "reviewed")}
    assert client.post(f"/order/tariffs/{hosting.pk}/", reviewed).status_code == 302
    invoice = Invoice.objects.get(customer=world.alpha)
    discount = invoice.lines.get(unit_price__lt=0)
    assert "WELCOME10" in discount.description and discount.net_amount == Decimal("-4.00")
    assert (invoice.net_amount, invoice.tax_amount, invoice.gross_amount) == (
        Decimal("36.00"),
        Decimal("6.84"),
        Decimal("42.84"),
    )
    welcome.refresh_from_db()
    assert welcome.uses == 1 and Checkout.objects.get().discount_code == welcome
    subscription = Subscription.objects.get()
    assert subscription.discount_periods_left == 2  # the first invoice had its discount


def test_a_code_for_another_tariff_or_used_up_is_a_form_error(world, hosting, welcome):
    other = TariffFactory(module=hosting.module, name="Basic", price="10.00")
    client = world.client(world.alice)
    response = client.post(
        f"/order/tariffs/{other.pk}/", {**review_form(client, other), "code": "WELCOME10"}
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    welcome.uses = 2
    welcome.save()
    response = place(client, hosting, code="WELCOME10")
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Subscription.objects.exists()


def test_an_expired_checkout_gives_its_code_back(stripe_acme, world, hosting, welcome):
    save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    place(world.client(world.alice), hosting, code="WELCOME10")
    welcome.refresh_from_db()
    assert welcome.uses == 1
    checkouts_settle_due(now=timezone.now() + timedelta(hours=25))
    welcome.refresh_from_db()
    assert welcome.uses == 0


# Through a payment link ---------------------------------------------------------------------


@pytest.fixture
def spring(world, hosting, welcome):
    """A link that sells Pro hosting with its backups, with the WELCOME10 code, once."""
    link = PaymentLink.objects.create(
        tenant=world.acme,
        name="Spring offer",
        module=hosting.module,
        discount_code=welcome,
        max_uses=1,
    )
    link.tariffs.set([hosting])
    link.options.set(hosting.options.all())
    return link


SIGN_UP = {
    "company": "Wayne Enterprises",
    "street": "1007 Mountain Drive",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "de",
    "full_name": "Bruce Wayne",
    "email": "bruce@wayne.test",
    "password": "a-long-and-unusual-passphrase-42",
}


def test_a_stranger_signs_up_on_a_link_and_lands_on_the_new_subscription(world, spring, hosting):
    world.acme.self_registration_enabled = False  # the link is the invitation
    world.acme.save()
    client = Client(HTTP_HOST=host_of(world.acme))
    response = client.post(f"/buy/{spring.slug}/", SIGN_UP)
    review_url = f"/order/tariffs/{hosting.pk}/?link={spring.slug}"
    assert response.status_code == 302 and response["Location"] == review_url
    page = client.get(review_url).content.decode()
    # The link's options and code are in, not to be chosen: €45 − 10 % = €40.50 net.
    assert "Included add-on options: Backups" in page and "WELCOME10" in page
    assert "€40.50" in page and 'name="option_' not in page and 'name="code"' not in page
    response = client.post(review_url, review_form(client, hosting, review_url))
    checkout = Checkout.objects.get()
    assert response["Location"] == f"/subscriptions/{checkout.subscription_id}/"
    assert checkout.payment_link == spring and checkout.discount_code == spring.discount_code
    subscription = checkout.subscription
    assert subscription.customer.name == "Wayne Enterprises" and subscription.status == "active"
    assert [o.option.name for o in subscription.options.all()] == ["Backups"]
    assert checkout.invoice.net_amount == Decimal("40.50")
    assert "Hosting" in client.get(response["Location"]).content.decode()


def test_a_link_used_up_or_switched_off_sells_no_more(world, spring, hosting):
    review_url = f"/order/tariffs/{hosting.pk}/?link={spring.slug}"
    client = world.client(world.alice)
    place(client, hosting, url=review_url)
    assert Checkout.objects.filter(payment_link=spring).count() == 1
    # Its one use is taken: the next buyer's page says so, and a post changes nothing.
    other = world.client(world.bob)
    assert other.get(review_url).status_code == 410
    assert other.post(review_url, review_form(other, hosting)).status_code == 410
    assert Subscription.objects.filter(customer=world.bravo).count() == 0
    spring.max_uses = None
    spring.is_active = False
    spring.save()
    assert other.get(review_url).status_code == 410


def test_a_link_never_sells_what_it_does_not_offer(world, spring, hosting):
    other = TariffFactory(module=hosting.module, name="Basic", price="10.00")
    client = world.client(world.alice)
    assert client.get(f"/order/tariffs/{other.pk}/?link={spring.slug}").status_code == 404
    assert client.get(f"/order/tariffs/{hosting.pk}/?link=nope").status_code == 404
    globex_link = PaymentLink.objects.create(
        tenant=world.globex, name="x", module=ModuleFactory(tenant=world.globex)
    )
    assert client.get(f"/order/tariffs/{hosting.pk}/?link={globex_link.slug}").status_code == 404


def test_ordering_the_same_tariff_otherwise_while_one_waits_is_refused(stripe_acme, world, hosting):
    save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    client = world.client(world.alice)
    pay_url = place(client, hosting)["Location"]
    # The same choice leads back to the waiting order; another one is refused, not swapped in.
    assert place(client, hosting)["Location"] == pay_url
    page = place(client, hosting, quantity="3").content.decode()
    assert "its payment is still open" in page
    assert Checkout.objects.get().quantity == 1 and Subscription.objects.count() == 1


def test_3d_secure_left_open_is_withdrawn_when_the_checkout_lapses(stripe_acme, world, hosting):
    card = save_card(world, stripe_acme, stripe_fake.CARD_3DS)
    client = world.client(world.alice)
    pay_url = place(client, hosting)["Location"]
    page = client.post(pay_url, {"method": card.pk}).content.decode()
    secret = page.split('data-client-secret="')[1].split('"')[0]
    action = page.split('id="payment-confirm" action="')[1].split('"')[0].replace("&amp;", "&")
    checkout = Checkout.objects.get()
    assert checkouts_settle_due(now=timezone.now() + timedelta(hours=25)) == 1
    checkout.refresh_from_db()
    assert checkout.status == "expired" and checkout.invoice.status == "void"
    # The bank's page finished late: the charge was withdrawn, so nothing is paid.
    stripe_acme.browser_authenticates(secret)
    response = client.post(action, follow=True)
    assert "has started" not in response.content.decode()
    checkout.refresh_from_db()
    assert checkout.invoice.amount_paid == 0 and checkout.subscription.status == "ended"
