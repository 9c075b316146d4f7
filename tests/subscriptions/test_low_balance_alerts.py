"""Low-balance alerts: a business's threshold e-mails the customer and the business once each
time the credit balance falls below it; a purchase or a correction back above re-arms it."""

import smtplib
from datetime import date

import pytest
from django.core import mail

from core.roles import SYSTEM
from subscriptions import alerts
from subscriptions.alerts import send_low_balance
from subscriptions.credits import credit_account, credits_adjust, credits_use, package_purchase
from subscriptions.models import CreditAccount
from subscriptions.tasks import send_low_balance_alert
from tests.factories import ContactFactory, PackageFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 20)


@pytest.fixture
def ten(world):
    return PackageFactory(tenant=world.acme, name="10 tickets", credits=10, price="90.00")


@pytest.fixture
def alerting(world, ten, eager_tasks, django_capture_on_commit_callbacks):
    """acme alerts below 5 credits; alpha holds 10. Returns `use(units)`, which runs the
    after-commit work (the e-mails) at once."""
    world.acme.low_balance_threshold = 5
    world.acme.notification_email = "desk@acme.test"
    world.acme.save()
    package_purchase(customer=world.alpha, package=ten, actor=world.alice, today=TODAY)

    def use(units: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            credits_use(customer=world.alpha, units=units, today=TODAY, actor=SYSTEM)

    mail.outbox.clear()
    return use


def alerts_sent() -> list[str]:
    return sorted(m.to[0] for m in mail.outbox if "low" in m.subject.lower())


def test_falling_below_the_threshold_mails_the_customer_and_the_business(world, alerting):
    alerting(4)  # 10 → 6: still at or above 5
    assert alerts_sent() == []
    alerting(2)  # 6 → 4: below
    assert alerts_sent() == ["alice@example.test", "desk@acme.test"]
    customer = next(m for m in mail.outbox if m.to == ["alice@example.test"])
    assert customer.subject == "[Acme] Your credit balance is low: 4 credits left"
    assert "fallen to 4 credits, below 5" in customer.body
    assert "https://acme.localhost/credits/" in customer.body
    assert "automatic top-up" not in customer.body
    business = next(m for m in mail.outbox if m.to == ["desk@acme.test"])
    assert business.subject == "[Acme] Low credit balance: Alpha Corp"
    assert "Alpha Corp (A-1) has fallen to 4 credits, below your alert threshold of 5" in (
        business.body
    )
    account = credit_account(world.alpha)
    assert account.low_balance_crossings == 1 and account.low_balance_alerted == 1


def test_two_uses_below_the_threshold_alert_once(alerting):
    alerting(6)  # 10 → 4
    alerting(1)  # 4 → 3: still below, the same crossing
    alerting(2)  # 3 → 1
    assert alerts_sent() == ["alice@example.test", "desk@acme.test"]


def test_a_purchase_re_arms_the_alert(world, ten, alerting):
    alerting(6)  # 10 → 4: first alert
    package_purchase(customer=world.alpha, package=ten, actor=world.alice, today=TODAY)  # 14
    alerting(9)  # 14 → 5: at the threshold is not below it
    assert len(alerts_sent()) == 2
    alerting(1)  # 5 → 4: a new crossing
    assert len(alerts_sent()) == 4
    assert credit_account(world.alpha).low_balance_crossings == 2


def test_corrections_cross_and_re_arm_too(world, alerting, django_capture_on_commit_callbacks):
    manager = world.staff["acme", "manager"]
    with django_capture_on_commit_callbacks(execute=True):
        credits_adjust(customer=world.alpha, delta=-7, reason="Mistaken use", actor=manager)
    assert len(alerts_sent()) == 2  # 10 → 3
    with django_capture_on_commit_callbacks(execute=True):
        credits_adjust(customer=world.alpha, delta=5, reason="Goodwill", actor=manager)
        credits_adjust(customer=world.alpha, delta=-2, reason="Mistaken use", actor=manager)
    assert len(alerts_sent()) == 2  # 3 → 8 re-armed it; 8 → 6 is still above
    alerting(2)  # 6 → 4: the next crossing
    assert len(alerts_sent()) == 4


def test_no_threshold_no_alert(world, alerting):
    world.acme.low_balance_threshold = None
    world.acme.save()
    alerting(10)
    assert alerts_sent() == []
    assert credit_account(world.alpha).low_balance_crossings == 0


def test_each_reader_gets_the_alert_in_their_language(world, alerting, monkeypatch):
    world.acme.locale = "de"
    world.acme.save()
    world.alice.language = "fr"
    world.alice.save()
    ContactFactory(customer=world.alpha, user__email="ops@alpha.test", user__language="it")
    sent: list[tuple[str, tuple[str, ...], str]] = []
    real = alerts.send_templated

    def spy(**kwargs) -> None:
        sent.append((kwargs["prefix"], tuple(sorted(kwargs["to"])), kwargs["language"]))
        real(**kwargs)

    monkeypatch.setattr(alerts, "send_templated", spy)
    alerting(6)
    assert sorted(sent) == [
        ("emails/low_balance_business", ("desk@acme.test",), "de"),
        ("emails/low_balance_customer", ("alice@example.test",), "fr"),
        ("emails/low_balance_customer", ("ops@alpha.test",), "it"),
    ]
    by_reader = {m.to[0]: m.body for m in mail.outbox}
    assert by_reader["alice@example.test"].startswith("Bonjour Alpha Corp,")
    assert by_reader["ops@alpha.test"].startswith("Buongiorno Alpha Corp,")


def test_a_retried_task_sends_nothing_twice(world, alerting):
    alerting(6)
    assert len(mail.outbox) == 2
    account = credit_account(world.alpha)
    assert send_low_balance(account.pk, 1, 4) == 0
    assert send_low_balance(account.pk, 0, 4) == 0  # an older crossing, after a newer one
    assert len(mail.outbox) == 2


def test_subscription_packages_never_cross(world, alerting):
    year = PackageFactory(
        tenant=world.acme, kind="subscription", credits=None, duration_days=365, price="990"
    )
    package_purchase(
        customer=world.alpha, package=year, actor=world.alice, today=TODAY, confirm_forfeit=True
    )
    alerting(3)
    assert alerts_sent() == []


def crossed(world) -> CreditAccount:
    """Alpha's balance fell to 4, below 5: crossing 1, its alert not sent yet."""
    CreditAccount.objects.filter(customer=world.alpha).update(balance=4, low_balance_crossings=1)
    return credit_account(world.alpha)


def test_a_reader_refused_once_is_mailed_on_the_retry_and_the_others_once(
    world, alerting, flaky_smtp
):
    account = crossed(world)
    flaky_smtp("alice@example.test")
    with pytest.raises(smtplib.SMTPException):  # raised for the task to be retried
        send_low_balance(account.pk, 1, 4)
    assert alerts_sent() == ["desk@acme.test"]  # the business heard all the same
    assert credit_account(world.alpha).low_balance_alerted == 0  # not all told yet
    assert send_low_balance(account.pk, 1, 4) == 1  # the retry: Alice only
    assert alerts_sent() == ["alice@example.test", "desk@acme.test"]
    assert credit_account(world.alpha).low_balance_alerted == 1
    assert send_low_balance(account.pk, 1, 4) == 0
    assert len(mail.outbox) == 2


def test_the_alert_task_retries_a_refusing_mail_server_by_itself(world, alerting, flaky_smtp):
    account = crossed(world)
    flaky_smtp("desk@acme.test")
    # throw=False: as in a worker, the retry runs (here at once) instead of the error rising.
    assert send_low_balance_alert.apply(args=(account.pk, 1, 4), throw=False).get() == 1
    assert alerts_sent() == ["alice@example.test", "desk@acme.test"]


def test_without_paid_support_in_the_licence_no_alert_goes_out(world, alerting):
    account = crossed(world)  # queued just before the operator switched the module off
    world.acme.licence_modules = []
    world.acme.save()
    assert send_low_balance(account.pk, 1, 4) == 0
    assert mail.outbox == []
