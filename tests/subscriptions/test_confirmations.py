"""Every order, tariff change, cancellation and withdrawal is confirmed by e-mail: once, to the
customer's invoice recipients (else its owners) and the business's notification addresses, each
in its own language."""

from datetime import date

import pytest
import time_machine
from django.core import mail

from core.roles import SYSTEM
from subscriptions.models import SubscriptionEvent
from subscriptions.services import (
    cancellation_request_approve,
    cancellation_request_refuse,
    cancellation_request_withdraw,
    subscription_cancel,
    subscription_change_tariff,
    subscription_order,
    subscription_undo_cancel,
    subscription_undo_change,
    subscriptions_apply_due,
)
from subscriptions.tasks import send_subscription_confirmation
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db
NOW = "2026-03-20 10:00:00+01:00"
TODAY = date(2026, 3, 20)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def notified(world, eager_tasks):
    """Acme writes in German to its ops address; Alpha reads French."""
    world.acme.locale = "de"
    world.acme.notification_email = "ops@acme.test"
    world.acme.save()
    world.alpha.language = "fr"
    world.alpha.save()
    mail.outbox.clear()
    return world


def _by_recipient() -> dict[str, mail.EmailMessage]:
    found = {}
    for message in mail.outbox:
        for address in message.to:
            assert address not in found, f"{address} got two messages"
            found[address] = message
    return found


def test_an_order_is_confirmed_once_to_each_in_their_language(
    notified, plans, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscription_order(
            customer=notified.alpha, tariff=plans.basic, actor=SYSTEM, start_on=date(2026, 4, 1)
        )
    sent = _by_recipient()
    assert set(sent) == {"alice@example.test", "ops@acme.test"}
    customer = sent["alice@example.test"]
    assert "Bonjour Alpha Corp," in customer.body and "1 avril 2026" in customer.body
    assert "Helpdesk" in customer.subject and customer.subject.startswith("[Acme]")
    html = customer.alternatives[0][0]
    assert "Bonjour Alpha Corp," in html
    business = sent["ops@acme.test"]
    assert "Alpha Corp (A-1)" in business.body and "Basic" in business.body


def test_two_owners_each_read_their_own_language(
    notified, plans, django_capture_on_commit_callbacks
):
    ContactFactory(
        customer=notified.alpha, user__email="second-owner@example.test", user__language="it"
    )
    with django_capture_on_commit_callbacks(execute=True):
        subscription_order(
            customer=notified.alpha, tariff=plans.basic, actor=SYSTEM, start_on=date(2026, 4, 1)
        )
    sent = _by_recipient()
    assert set(sent) == {"alice@example.test", "second-owner@example.test", "ops@acme.test"}
    assert "Bonjour Alpha Corp," in sent["alice@example.test"].body
    assert "Buongiorno Alpha Corp," in sent["second-owner@example.test"].body


def test_the_invoice_recipients_are_written_to_instead_of_the_owners(
    notified, plans, django_capture_on_commit_callbacks
):
    notified.alpha.invoice_recipients = ["books@alpha.test"]
    notified.alpha.save()
    ContactFactory(customer=notified.alpha, user__email="second-owner@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        subscription_order(
            customer=notified.alpha, tariff=plans.basic, actor=SYSTEM, start_on=date(2026, 4, 1)
        )
    assert set(_by_recipient()) == {"books@alpha.test", "ops@acme.test"}


def test_a_task_that_runs_twice_sends_nothing_the_second_time(
    notified, plans, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscription = subscription_order(
            customer=notified.alpha, tariff=plans.basic, actor=SYSTEM, start_on=date(2026, 4, 1)
        )
    assert len(mail.outbox) == 2
    event = SubscriptionEvent.objects.get(subscription=subscription, kind="order")
    assert event.notified_at is not None
    assert send_subscription_confirmation.delay(event.pk).get() == 0
    assert len(mail.outbox) == 2


def _one_pair(kind: str) -> dict[str, mail.EmailMessage]:
    sent = _by_recipient()
    assert set(sent) == {"alice@example.test", "ops@acme.test"}, kind
    assert SubscriptionEvent.objects.get(kind=kind).notified_at is not None
    mail.outbox.clear()
    return sent


def test_a_scheduled_change_and_its_withdrawal_are_confirmed(
    notified, alpha_basic, plans, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscription_change_tariff(
            subscription=alpha_basic,
            target=plans.yearly,
            actor=notified.alice,
            today=TODAY,
            as_contact=True,
        )
    sent = _one_pair("change_scheduled")
    assert "Pro yearly" in sent["alice@example.test"].body
    assert "15 avril 2026" in sent["alice@example.test"].body
    assert "15.04.2026" in sent["ops@acme.test"].body
    with django_capture_on_commit_callbacks(execute=True):
        subscription_undo_change(subscription=alpha_basic, actor=notified.alice, as_contact=True)
    _one_pair("change_withdrawn")


def test_a_cancellation_and_its_withdrawal_are_confirmed(
    notified, alpha_basic, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscription_cancel(
            subscription=alpha_basic,
            actor=notified.alice,
            today=TODAY,
            reason="Budget",
            as_contact=True,
        )
    sent = _one_pair("cancelled")
    assert "14 mai 2026" in sent["alice@example.test"].body
    assert "Budget" in sent["ops@acme.test"].body
    with django_capture_on_commit_callbacks(execute=True):
        subscription_undo_cancel(
            subscription=alpha_basic, actor=notified.alice, today=TODAY, as_contact=True
        )
    _one_pair("cancel_undone")


def test_a_cancellation_request_confirms_each_step(
    notified, alpha_basic, plans, django_capture_on_commit_callbacks
):
    plans.basic.cancellation_needs_approval = True
    plans.basic.save()
    billing = notified.staff["acme", "billing"]

    def request() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            subscription_cancel(
                subscription=alpha_basic,
                actor=notified.alice,
                today=TODAY,
                reason="Budget",
                as_contact=True,
            )

    request()
    sent = _by_recipient()
    assert set(sent) == {"alice@example.test", "ops@acme.test"}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancellation_request_refuse(subscription=alpha_basic, actor=billing, reason="Term runs")
    sent = _one_pair("cancellation_refused")
    assert "Motif" in sent["alice@example.test"].body
    assert "Term runs" in sent["alice@example.test"].body

    request()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancellation_request_withdraw(
            subscription=alpha_basic, actor=notified.alice, as_contact=True
        )
    _one_pair("cancellation_withdrawn")

    request()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancellation_request_approve(subscription=alpha_basic, actor=billing, today=TODAY)
    sent = _one_pair("cancellation_approved")
    assert "14 mai 2026" in sent["alice@example.test"].body
    assert SubscriptionEvent.objects.filter(kind="cancellation_requested").count() == 3


def test_what_the_daily_job_applies_confirms_nothing(
    notified, alpha_basic, plans, django_capture_on_commit_callbacks
):
    subscription_change_tariff(
        subscription=alpha_basic,
        target=plans.yearly,
        actor=notified.alice,
        today=TODAY,
        as_contact=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert subscriptions_apply_due(today=date(2026, 4, 15))["changed"] == 1
    assert mail.outbox == []


def test_an_immediate_upgrade_is_confirmed_too(
    notified, alpha_basic, plans, django_capture_on_commit_callbacks
):
    notified.acme.proration_policy = "immediate"
    notified.acme.save()
    with django_capture_on_commit_callbacks(execute=True):
        subscription_change_tariff(
            subscription=alpha_basic,
            target=plans.pro,
            actor=notified.alice,
            today=TODAY,
            as_contact=True,
        )
    assert "Pro" in _one_pair("tariff_changed")["alice@example.test"].body


def test_a_customer_without_a_language_reads_the_businesss(
    notified, plans, django_capture_on_commit_callbacks
):
    notified.alpha.language = ""
    notified.alpha.save()
    with django_capture_on_commit_callbacks(execute=True):
        subscription_order(
            customer=notified.alpha, tariff=plans.basic, actor=SYSTEM, start_on=date(2026, 4, 1)
        )
    assert "Guten Tag Alpha Corp," in _by_recipient()["alice@example.test"].body


def test_a_task_for_an_event_that_is_gone_sends_nothing(notified):
    assert send_subscription_confirmation.delay(999_999).get() == 0
    assert mail.outbox == []
