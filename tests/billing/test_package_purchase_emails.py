"""A package purchase e-mails the buyer, the business's general address and each CC address,
once each, in each reader's language, naming what was bought, what it gives and the invoice."""

import smtplib
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from billing.models import Invoice, TaxRate
from billing.payments.checkout import order_invoice, package_purchase_invoiced
from billing.payments.purchase_emails import send_package_purchase
from billing.payments.tasks import send_package_purchase_emails
from subscriptions.credits import package_purchase
from subscriptions.models import Order
from tests.factories import ContactFactory, PackageFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 30)


@pytest.fixture
def ten(world):
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal(19), is_default=True)
    return PackageFactory(tenant=world.acme, name="10 tickets", credits=10, price="90.00")


@pytest.fixture
def business(world):
    """Acme writes in German to its general address, copies two addresses; its manager reads
    Italian; Alice (who buys) reads French."""
    world.acme.locale = "de"
    world.acme.notification_email = "sales@acme.test"
    world.acme.notification_cc_emails = ["ops@acme.test", "manager@acme.test"]
    world.acme.save()
    manager = world.staff["acme", "manager"]
    manager.language = "it"
    manager.save()
    world.alice.language = "fr"
    world.alice.save()
    return world


def _buy(world, package, actor, django_capture_on_commit_callbacks) -> Invoice:
    with django_capture_on_commit_callbacks(execute=True):
        return package_purchase_invoiced(
            customer=world.alpha, package=package, actor=actor, today=TODAY, confirm_forfeit=False
        )


def _by_recipient() -> dict[str, mail.EmailMessage]:
    found: dict[str, mail.EmailMessage] = {}
    for message in mail.outbox:
        for address in message.to:
            assert address.lower() not in found, f"{address} got two messages"
            found[address.lower()] = message
    return found


def test_the_buyer_the_general_and_each_cc_address_get_one_message_in_their_language(
    business, ten, eager_tasks, django_capture_on_commit_callbacks
):
    business.alpha.invoice_recipients = ["ap@alpha.test"]  # no longer keeps the buyer out
    business.alpha.save()
    invoice = _buy(business, ten, business.alice, django_capture_on_commit_callbacks)
    got = _by_recipient()
    for message in mail.outbox:
        assert len(message.to) == 1  # each reader their own message (and their own link)
    purchase_mails = {address: m for address, m in got.items() if "10 tickets" in m.subject}
    assert set(purchase_mails) == {
        "alice@example.test",
        "sales@acme.test",
        "ops@acme.test",
        "manager@acme.test",
    }
    assert purchase_mails["alice@example.test"].subject == "[Acme] Votre achat : 10 tickets"
    german, italian = "Alpha Corp hat 10 tickets gekauft", "Alpha Corp ha acquistato 10 tickets"
    assert purchase_mails["sales@acme.test"].subject == f"[Acme] {german}"
    assert purchase_mails["ops@acme.test"].subject == f"[Acme] {german}"
    assert purchase_mails["manager@acme.test"].subject == f"[Acme] {italian}"

    buyer_mail = purchase_mails["alice@example.test"]
    assert invoice.number in buyer_mail.body and "10 crédits" in buyer_mail.body
    assert f"https://acme.{_base()}/l/invoice/" in buyer_mail.body
    for address in ("sales@acme.test", "ops@acme.test", "manager@acme.test"):
        body = purchase_mails[address].body
        assert invoice.number in body and "A-1" in body and "alice@example.test" in body
        assert f"https://acme.{_base()}/manage/billing/invoice/{invoice.pk}/change/" in body
        assert "open for the invoice" not in body


def test_an_address_that_is_both_buyer_and_cc_gets_one_message(
    business, ten, eager_tasks, django_capture_on_commit_callbacks
):
    business.acme.notification_cc_emails = ["ALICE@example.test", "ops@acme.test"]
    business.acme.save()
    _buy(business, ten, business.alice, django_capture_on_commit_callbacks)
    purchase_mails = [m for m in mail.outbox if "10 tickets" in m.subject]
    addresses = sorted(m.to[0].lower() for m in purchase_mails)
    assert addresses == ["alice@example.test", "ops@acme.test", "sales@acme.test"]
    (alice_mail,) = [m for m in purchase_mails if m.to[0].lower() == "alice@example.test"]
    assert "/l/invoice/" in alice_mail.body  # the customer's message, not the back office's


def test_a_subscription_package_says_its_days_and_dates(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    world.acme.notification_email = "sales@acme.test"
    world.acme.save()
    year = PackageFactory(
        tenant=world.acme,
        name="Support year",
        kind="subscription",
        credits=None,
        duration_days=365,
        price="900.00",
    )
    _buy(world, year, world.alice, django_capture_on_commit_callbacks)
    for message in [m for m in mail.outbox if "Support year" in m.subject]:
        assert "365 days, from 30 Nov 2026 to 29 Nov 2027" in message.body


def test_staff_buying_on_behalf_mails_the_customers_usual_recipients(
    business, ten, eager_tasks, django_capture_on_commit_callbacks
):
    """Staff (or the system's automatic top-up) bought: the customer hears as it hears about
    invoices, each recipient in their own language; the staff buyer is not mailed as buyer."""
    business.alpha.language = "de"
    business.alpha.invoice_recipients = ["ap@alpha.test", "alice@example.test"]
    business.alpha.save()
    business.acme.notification_email, business.acme.notification_cc_emails = "", []
    business.acme.save()
    manager = business.staff["acme", "manager"]
    with django_capture_on_commit_callbacks(execute=True):
        order = package_purchase(
            customer=business.alpha, package=ten, actor=manager, today=TODAY, as_contact=False
        )
        invoice = order_invoice(order=order, actor=manager, today=TODAY)
    mail.outbox.clear()
    assert send_package_purchase(order.pk, invoice.pk) == 2
    got = _by_recipient()
    assert set(got) == {"ap@alpha.test", "alice@example.test"}
    assert got["ap@alpha.test"].subject == "[Acme] Ihr Kauf: 10 tickets"  # the customer's
    assert got["alice@example.test"].subject == "[Acme] Votre achat : 10 tickets"  # her own


def test_a_retried_task_sends_nothing_twice(
    business, ten, eager_tasks, django_capture_on_commit_callbacks
):
    invoice = _buy(business, ten, business.alice, django_capture_on_commit_callbacks)
    sent = len(mail.outbox)
    order = invoice.lines.get().order
    order.refresh_from_db()
    assert order.notified_at is not None
    assert send_package_purchase_emails.delay(order.pk, invoice.pk).get() == 0
    assert len(mail.outbox) == sent


def _bought_by_alice(world, package) -> tuple[int, int]:
    """An invoiced purchase by Alice, its e-mails not sent yet: (order id, invoice id)."""
    order = package_purchase(customer=world.alpha, package=package, actor=world.alice, today=TODAY)
    invoice = order_invoice(order=order, actor=world.staff["acme", "owner"], today=TODAY)
    mail.outbox.clear()
    return order.pk, invoice.pk


def test_a_cc_address_refused_once_gets_its_message_on_the_retry_and_the_buyer_only_one(
    business, ten, flaky_smtp
):
    order_id, invoice_id = _bought_by_alice(business, ten)
    flaky_smtp("ops@acme.test")
    with pytest.raises(smtplib.SMTPException):  # raised for the task to be retried
        send_package_purchase(order_id, invoice_id)
    # The others went out all the same, and stay marked as sent.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "alice@example.test",
        "manager@acme.test",
        "sales@acme.test",
    ]
    assert Order.objects.get(pk=order_id).notified_at is None
    assert send_package_purchase(order_id, invoice_id) == 1  # the retry
    assert mail.outbox[-1].to == ["ops@acme.test"]
    assert len(_by_recipient()) == 4  # each address exactly one message
    assert Order.objects.get(pk=order_id).notified_at is not None
    assert send_package_purchase(order_id, invoice_id) == 0
    assert len(mail.outbox) == 4


def test_when_all_went_out_a_further_run_sends_nothing(business, ten):
    order_id, invoice_id = _bought_by_alice(business, ten)
    assert send_package_purchase(order_id, invoice_id) == 4
    Order.objects.filter(pk=order_id).update(notified_at=None)  # even without the order's mark
    assert send_package_purchase(order_id, invoice_id) == 0
    assert len(mail.outbox) == 4


def test_the_task_retries_a_refusing_mail_server_by_itself(business, ten, flaky_smtp):
    order_id, invoice_id = _bought_by_alice(business, ten)
    flaky_smtp("ops@acme.test")
    # throw=False: as in a worker, the retry runs (here at once) instead of the error rising.
    result = send_package_purchase_emails.apply(args=(order_id, invoice_id), throw=False)
    assert result.get() == 1  # the retry's: ops only
    assert set(_by_recipient()) == {
        "alice@example.test",
        "manager@acme.test",
        "ops@acme.test",
        "sales@acme.test",
    }


def test_without_notification_addresses_only_the_buyer_hears(
    world, ten, eager_tasks, django_capture_on_commit_callbacks
):
    _buy(world, ten, world.alice, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox if "10 tickets" in m.subject] == [["alice@example.test"]]


def test_another_customers_contact_is_not_the_buyer(world, ten, eager_tasks):
    """A purchase row whose buyer is not Alpha's contact goes to Alpha's recipients only."""
    ContactFactory(customer=world.alpha, user__email="owner2@alpha.test")
    order = package_purchase(
        customer=world.alpha,
        package=ten,
        actor=world.staff["acme", "owner"],
        today=TODAY,
        as_contact=False,
    )
    order.package_purchase.buyer = world.bob  # Bravo's contact, not Alpha's
    order.package_purchase.save()
    invoice = order_invoice(order=order, actor=world.staff["acme", "owner"], today=TODAY)
    mail.outbox.clear()
    send_package_purchase(order.pk, invoice.pk)
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.test", "owner2@alpha.test"]


def _base() -> str:
    from django.conf import settings

    return settings.KONTOR_BASE_DOMAIN
