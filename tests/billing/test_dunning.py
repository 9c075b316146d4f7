"""Renewals charged off-session to the default card; failures chased on the business's retry
schedule until recovered or given up — against localstripe."""

from datetime import date, timedelta

import pytest
from django.core import mail

from billing.models import DunningCase, Invoice, PaymentMethod, PaymentSettings, TaxRate
from billing.payments.dunning import card_expiry_reminders_send, dunning_run
from billing.payments.services import invoice_mark_paid, invoice_pay, payment_method_set_default
from billing.run import services as billing
from core.roles import SYSTEM
from tests import stripe_fake
from tests.billing.test_payments import save_card
from tests.factories import TariffFactory

pytestmark = pytest.mark.django_db
START = date(2026, 3, 1)


@pytest.fixture
def renewal(world, stripe_acme, eager_tasks, django_capture_on_commit_callbacks):
    """Runs the billing run on a day with its after-commit work (charges, e-mails) done."""
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=19, is_default=True)
    from subscriptions.services import subscription_order

    subscription = subscription_order(
        customer=world.alpha,
        tariff=TariffFactory(module__tenant=world.acme, price="49.00"),
        actor=SYSTEM,
        start_on=START,
    )

    def bill(day=START):
        with django_capture_on_commit_callbacks(execute=True):
            billing.billing_run(today=day, tenant=world.acme)
        return Invoice.objects.filter(subscription=subscription).order_by("-period_start").first()

    bill.subscription = subscription
    return bill


def test_a_renewal_is_charged_to_the_default_card(world, stripe_acme, renewal):
    save_card(world, stripe_acme)
    invoice = renewal()
    assert invoice.status == "paid"
    attempt = invoice.payment_attempts.get()
    assert attempt.off_session and attempt.status == "succeeded"
    assert not DunningCase.objects.exists()


def test_test_accounts_are_never_charged(world, stripe_acme, renewal):
    world.alpha.is_test_account = True
    world.alpha.save()
    save_card(world, stripe_acme)
    invoice = renewal()
    assert invoice.status == "open" and not invoice.payment_attempts.exists()


def test_failure_retry_and_recovery(
    world, stripe_acme, renewal, django_capture_on_commit_callbacks
):
    save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    mail.outbox.clear()
    invoice = renewal()
    case = DunningCase.objects.get(invoice=invoice)
    assert invoice.status == "open" and case.next_retry_on == case.started_on + timedelta(days=1)
    failed = [m for m in mail.outbox if "payment for invoice" in m.subject]
    assert failed and "Your card was declined." in failed[0].body
    assert "/pay/?keep=1" in failed[0].body
    # Day 1: the same card fails again; the next try is on day 3.
    with django_capture_on_commit_callbacks(execute=True):
        assert dunning_run(tenant=world.acme, today=case.started_on + timedelta(days=1)) == 1
    case.refresh_from_db()
    assert case.retries_done == 1 and case.next_retry_on == case.started_on + timedelta(days=3)
    # The customer adds a working card; day 3's retry recovers the invoice.
    good = save_card(world, stripe_acme)
    payment_method_set_default(method=good, actor=world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        dunning_run(tenant=world.acme, today=case.started_on + timedelta(days=3))
    case.refresh_from_db()
    invoice.refresh_from_db()
    assert invoice.status == "paid" and case.outcome == "recovered"
    assert invoice.payment_attempts.count() == 3


def test_exhausted_retries_suspend_and_payment_resumes(
    world, stripe_acme, renewal, django_capture_on_commit_callbacks
):
    PaymentSettings.objects.filter(tenant=world.acme).update(
        retry_days=[1, 2], final_action="suspend"
    )
    save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    invoice = renewal()
    case = DunningCase.objects.get(invoice=invoice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for day in (1, 2):
            dunning_run(tenant=world.acme, today=case.started_on + timedelta(days=day))
    case.refresh_from_db()
    subscription = renewal.subscription
    subscription.refresh_from_db()
    assert case.outcome == "exhausted" and case.final_action == "suspend"
    assert subscription.status == "suspended"
    assert any("could not be paid" in m.subject for m in mail.outbox)
    page = world.client(world.alice).get("/subscriptions/").content.decode()
    assert "Paused until the open invoice is paid." in page
    # Nothing is billed while suspended.
    renewal(START + timedelta(days=40))
    assert Invoice.objects.filter(subscription=subscription).count() == 1
    # The customer pays by hand with a new card: the subscription comes back.
    good = save_card(world, stripe_acme)
    invoice_pay(invoice=invoice, method=good, actor=world.alice)
    subscription.refresh_from_db()
    case.refresh_from_db()
    assert subscription.status == "active" and case.outcome == "recovered"


def test_exhausted_retries_write_the_invoice_off(world, stripe_acme, renewal):
    PaymentSettings.objects.filter(tenant=world.acme).update(retry_days=[])
    save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    invoice = renewal()
    invoice.refresh_from_db()
    assert invoice.status == "uncollectible"
    assert DunningCase.objects.get(invoice=invoice).outcome == "exhausted"


def test_card_expiry_reminders_go_out_once_a_month_ahead(
    world, stripe_acme, eager_tasks, django_capture_on_commit_callbacks
):
    card = save_card(world, stripe_acme)
    PaymentMethod.objects.filter(pk=card.pk).update(exp_month=12, exp_year=2026)
    mail.outbox.clear()
    for day, queued in ((date(2026, 10, 20), 0), (date(2026, 11, 20), 1), (date(2026, 11, 21), 0)):
        with django_capture_on_commit_callbacks(execute=True):  # sent by a task after commit
            assert card_expiry_reminders_send(tenant=world.acme, today=day) == queued
    assert len(mail.outbox) == 1 and "expires soon" in mail.outbox[0].subject
    assert world.alice.email in mail.outbox[0].to


def test_a_renewal_that_fails_late_by_webhook_is_chased(world, stripe_acme, renewal):
    from billing.models import PaymentAttempt
    from billing.payments.webhooks import _intent_failed

    save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    PaymentMethod.objects.update(token="pm_replaced_below")  # the charge cannot even start
    invoice = renewal()
    attempt = PaymentAttempt.objects.get(invoice=invoice)
    DunningCase.objects.all().delete()
    PaymentAttempt.objects.filter(pk=attempt.pk).update(status="processing", intent_id="pi_late")
    _intent_failed(world.acme, {"id": "pi_late", "last_payment_error": {"message": "Declined"}})
    assert DunningCase.objects.filter(invoice=invoice).exists()


def test_a_dunning_notice_queued_before_a_payment_is_not_sent(
    world, stripe_acme, renewal, django_capture_on_commit_callbacks
):
    save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    invoice = renewal()
    case = DunningCase.objects.get(invoice=invoice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        dunning_run(tenant=world.acme, today=case.started_on + timedelta(days=1))
    invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=invoice.amount_due)
    for send in queued:
        send()
    assert not [m for m in mail.outbox if "payment for invoice" in m.subject]


def test_a_card_replaced_before_its_expiry_notice_goes_out_gets_none(
    world, stripe_acme, eager_tasks, django_capture_on_commit_callbacks
):
    card = save_card(world, stripe_acme)
    PaymentMethod.objects.filter(pk=card.pk).update(exp_month=12, exp_year=2026)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert card_expiry_reminders_send(tenant=world.acme, today=date(2026, 11, 20)) == 1
    PaymentMethod.objects.filter(pk=card.pk).update(exp_year=2029)  # updated by the bank
    for send in queued:
        send()
    assert not mail.outbox
