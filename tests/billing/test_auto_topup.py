"""Automatic top-up: the credit package a Billing contact chose is bought again and charged to
the saved default card when the balance falls below the business's threshold — once per
crossing, whatever runs twice — against localstripe."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import DatabaseError, OperationalError, connection

from billing.models import DunningCase, Invoice, TaxRate
from billing.payments import auto_topup as auto_topup_module
from billing.payments.auto_topup import auto_topup_buy
from billing.payments.tasks import auto_topup
from core.models import AuditEntry
from core.roles import SYSTEM
from subscriptions.alerts import auto_topup_set
from subscriptions.credits import credit_account, credits_use, package_purchase
from subscriptions.models import CreditAccount, PackagePurchase
from tests import stripe_fake
from tests.billing.test_payments import save_card
from tests.factories import ContactFactory, PackageFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 20)


@pytest.fixture
def ten(world):
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal(19), is_default=True)
    return PackageFactory(tenant=world.acme, name="10 tickets", credits=10, price="90.00")


@pytest.fixture
def holder(world, ten):
    """acme alerts below 5 credits; alpha holds 10 (bought earlier, already invoiced)."""
    world.acme.low_balance_threshold = 5
    world.acme.notification_email = "desk@acme.test"
    world.acme.save()
    package_purchase(customer=world.alpha, package=ten, actor=world.alice, today=TODAY)
    return world.alpha


@pytest.fixture
def use(world, eager_tasks, django_capture_on_commit_callbacks):
    """Uses credits with the after-commit work (top-up, charge, e-mails) run at once."""

    def _use(units: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            credits_use(customer=world.alpha, units=units, today=TODAY, actor=SYSTEM)

    return _use


def top_up_with(world, fake, package, number=stripe_fake.CARD_OK) -> None:
    save_card(world, fake, number)
    auto_topup_set(customer=world.alpha, package=package, actor=world.alice)
    mail.outbox.clear()


def topups(world) -> list[Invoice]:
    return list(Invoice.objects.filter(customer=world.alpha).order_by("pk"))


def test_a_crossing_buys_the_chosen_package_and_charges_the_saved_card(
    world, stripe_acme, ten, holder, use
):
    top_up_with(world, stripe_acme, ten)
    use(6)  # 10 → 4: below 5
    [invoice] = topups(world)
    assert invoice.status == "paid" and invoice.gross_amount == Decimal("107.10")
    assert invoice.lines.get().order.title == "10 tickets"
    attempt = invoice.payment_attempts.get()
    assert attempt.off_session and attempt.status == "succeeded"
    account = credit_account(world.alpha)
    assert account.balance == 14 and account.auto_topup_crossing == 1
    purchase = PackagePurchase.objects.filter(customer=world.alpha).latest("pk")
    assert purchase.buyer is None and purchase.package == ten
    assert AuditEntry.objects.filter(action="credits.auto_topup_buy").count() == 1
    alert = next(m for m in mail.outbox if m.to == ["alice@example.test"] and "low" in m.subject)
    assert "Your automatic top-up was started: 10 tickets" in alert.body
    business = next(m for m in mail.outbox if m.to == ["desk@acme.test"] and "Low" in m.subject)
    assert "Their automatic top-up was started: 10 tickets" in business.body


def test_the_top_up_happens_once_per_crossing_even_when_the_task_runs_again(
    world, stripe_acme, ten, holder, use
):
    top_up_with(world, stripe_acme, ten)
    use(6)
    alerts = len(mail.outbox)
    account = credit_account(world.alpha)
    assert auto_topup.apply(args=(account.pk, 1, 4)).get() is False  # a retried task
    assert auto_topup_buy(account_id=account.pk, crossing=1) is None
    assert len(topups(world)) == 1 and credit_account(world.alpha).balance == 14
    assert len(mail.outbox) == alerts  # nor is the alert sent again
    use(10)  # 14 → 4: the next crossing buys again
    assert len(topups(world)) == 2 and credit_account(world.alpha).auto_topup_crossing == 2


def test_an_older_crossing_after_a_newer_one_buys_nothing(world, stripe_acme, ten, holder):
    top_up_with(world, stripe_acme, ten)
    CreditAccount.objects.filter(customer=world.alpha).update(balance=3, low_balance_crossings=2)
    account = credit_account(world.alpha)
    assert auto_topup_buy(account_id=account.pk, crossing=2) is not None
    assert auto_topup_buy(account_id=account.pk, crossing=1) is None
    assert len(topups(world)) == 1


def test_nothing_is_bought_when_the_balance_is_back_up_by_then(world, stripe_acme, ten, holder):
    top_up_with(world, stripe_acme, ten)
    account = credit_account(world.alpha)
    CreditAccount.objects.filter(pk=account.pk).update(balance=6, low_balance_crossings=1)
    assert auto_topup_buy(account_id=account.pk, crossing=1) is None
    assert topups(world) == []


def test_a_declined_card_leaves_the_invoice_open_and_buys_nothing_more(
    world, stripe_acme, ten, holder, use
):
    top_up_with(world, stripe_acme, ten, stripe_fake.CARD_DECLINED_OFF_SESSION)
    use(6)
    [invoice] = topups(world)
    assert invoice.status == "open" and DunningCase.objects.filter(invoice=invoice).exists()
    account = credit_account(world.alpha)
    auto_topup.apply(args=(account.pk, 1, 4))  # a retry in the same crossing
    use(10)  # 14 → 4: a new crossing, while the declined top-up is still unpaid
    assert topups(world) == [invoice]
    assert invoice.payment_attempts.count() == 1


def test_without_a_chosen_package_only_the_alert_goes_out(world, stripe_acme, holder, use):
    save_card(world, stripe_acme)
    mail.outbox.clear()
    use(6)
    assert topups(world) == []
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.test", "desk@acme.test"]


def crossed(world) -> CreditAccount:
    """Alpha's balance fell to 4, below 5: crossing 1, queued, nothing bought nor told yet."""
    CreditAccount.objects.filter(customer=world.alpha).update(balance=4, low_balance_crossings=1)
    return credit_account(world.alpha)


def low_alerts() -> list[str]:
    return sorted(m.to[0] for m in mail.outbox if "low" in m.subject.lower())


def test_a_refused_top_up_still_sends_the_alert_and_is_not_retried(
    world, stripe_acme, ten, holder, eager_tasks, monkeypatch
):
    top_up_with(world, stripe_acme, ten)
    account = crossed(world)
    calls: list[int] = []

    def refuse(**kwargs):
        calls.append(kwargs["crossing"])
        raise ValidationError("Refused", code="refused")

    monkeypatch.setattr(auto_topup_module, "auto_topup_buy", refuse)
    assert auto_topup.apply(args=(account.pk, 1, 4), throw=False).get() is False
    assert calls == [1]  # not retried
    assert low_alerts() == ["alice@example.test", "desk@acme.test"]
    assert topups(world) == []


def test_a_database_error_is_retried_and_the_retry_buys_once(
    world, stripe_acme, ten, holder, eager_tasks, monkeypatch
):
    """A deadlock or a lost connection is no refusal: the top-up of the crossing is not lost."""
    top_up_with(world, stripe_acme, ten)
    account = crossed(world)
    real, calls = auto_topup_buy, []

    def deadlocked_once(**kwargs):
        calls.append(kwargs["crossing"])
        if len(calls) == 1:
            raise OperationalError("deadlock detected")
        return real(**kwargs)

    monkeypatch.setattr(auto_topup_module, "auto_topup_buy", deadlocked_once)
    assert DatabaseError in auto_topup.autoretry_for and auto_topup.max_retries is not None
    with pytest.raises(Retry):  # the task asks to be retried
        auto_topup.apply(args=(account.pk, 1, 4))
    assert topups(world) == [] and low_alerts() == []  # no alert saying no top-up was started
    # throw=False: as in a worker, the retry runs (here at once) instead of the error rising.
    calls.clear()
    assert auto_topup.apply(args=(account.pk, 1, 4), throw=False).get() is True
    assert calls == [1, 1]
    assert len(topups(world)) == 1 and credit_account(world.alpha).balance == 14
    assert auto_topup.apply(args=(account.pk, 1, 4)).get() is False  # a second run buys nothing
    assert len(topups(world)) == 1
    assert low_alerts() == ["alice@example.test", "desk@acme.test"]


def test_without_paid_support_in_the_licence_nothing_is_bought_nor_mailed(
    world, stripe_acme, ten, holder, eager_tasks
):
    top_up_with(world, stripe_acme, ten)
    account = crossed(world)  # queued just before the operator switched the module off
    world.acme.licence_modules = []
    world.acme.save()
    assert auto_topup_buy(account_id=account.pk, crossing=1) is None
    assert auto_topup.apply(args=(account.pk, 1, 4)).get() is False
    assert topups(world) == [] and mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_two_tasks_for_one_crossing_at_once_buy_once(world, stripe_acme, ten, holder):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this)")
    top_up_with(world, stripe_acme, ten)
    account = credit_account(world.alpha)
    CreditAccount.objects.filter(pk=account.pk).update(balance=4, low_balance_crossings=1)
    barrier = threading.Barrier(2)
    bought: list[bool] = []

    def run() -> None:
        from django.db import connections

        try:
            barrier.wait()
            bought.append(auto_topup_buy(account_id=account.pk, crossing=1) is not None)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(bought) == [False, True]
    assert Invoice.objects.filter(customer=world.alpha).count() == 1
    assert credit_account(world.alpha).balance == 14


class TestCreditsPage:
    def test_a_billing_contact_chooses_the_package_and_turns_it_off(
        self, world, stripe_acme, ten, holder
    ):
        client = world.client(world.alice)
        page = client.get("/credits/").content.decode()
        assert "Automatic top-up" in page and 'name="package"' in page
        response = client.post("/credits/auto-topup/", {"package": ten.pk}, follow=True)
        assert "10 tickets is bought automatically" in response.content.decode()
        assert credit_account(world.alpha).auto_topup_package == ten
        assert f'<option value="{ten.pk}" selected>' in response.content.decode()
        entry = AuditEntry.objects.get(action="credits.auto_topup")
        assert entry.after == {"package": "10 tickets"}
        response = client.post("/credits/auto-topup/", {"package": ""}, follow=True)
        assert "Automatic top-up is off." in response.content.decode()
        assert credit_account(world.alpha).auto_topup_package is None

    def test_a_member_contact_sees_it_but_cannot_set_it(self, world, stripe_acme, ten, holder):
        member = ContactFactory(customer=world.alpha, role="member").user
        client = world.client(member)
        page = client.get("/credits/").content.decode()
        assert "Automatic top-up is off." in page and 'name="package"' not in page
        assert client.post("/credits/auto-topup/", {"package": ten.pk}).status_code == 403
        assert credit_account(world.alpha).auto_topup_package is None

    def test_another_business_package_is_a_404(self, world, stripe_acme, ten, holder):
        theirs = PackageFactory(tenant=world.globex, credits=10, price="90.00")
        client = world.client(world.alice)
        assert client.post("/credits/auto-topup/", {"package": theirs.pk}).status_code == 404
        assert client.post("/credits/auto-topup/", {"package": "x"}).status_code == 404
        assert credit_account(world.alpha).auto_topup_package is None

    def test_not_offered_without_a_card_gateway(self, world, ten, holder):
        client = world.client(world.alice)
        assert "Automatic top-up" not in client.get("/credits/").content.decode()
        assert client.post("/credits/auto-topup/", {"package": ten.pk}).status_code == 404

    def test_not_offered_without_a_threshold(self, world, stripe_acme, ten, holder):
        world.acme.low_balance_threshold = None
        world.acme.save()
        client = world.client(world.alice)
        assert "Automatic top-up" not in client.get("/credits/").content.decode()
        assert client.post("/credits/auto-topup/", {"package": ten.pk}).status_code == 404

    def test_without_paid_support_in_the_licence_it_is_a_404(self, world, stripe_acme, ten, holder):
        world.acme.licence_modules = []
        world.acme.save()
        client = world.client(world.alice)
        assert client.post("/credits/auto-topup/", {"package": ten.pk}).status_code == 404
        assert credit_account(world.alpha).auto_topup_package is None
