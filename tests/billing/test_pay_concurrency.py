"""One card payment in flight per invoice: claimed under the invoice's row lock before the
gateway is asked, so that a second request is told a payment is under way instead of sending
the same attempt again (Stripe's idempotency keys are the second line of defence, not the first:
localstripe ignores them)."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from billing.models import PaymentAttempt
from billing.payments.gateways.stripe_gateway import StripeGateway
from billing.payments.services import invoice_pay
from tests.billing.test_payments import save_card


def count_charges(monkeypatch, during=None) -> list[int]:
    """Records each attempt sent to the gateway; `during` runs while the first is in flight."""
    sent: list[int] = []
    real = StripeGateway.charge

    def charge(self, attempt, method):
        sent.append(attempt.pk)
        if during is not None and len(sent) == 1:
            during()
        return real(self, attempt, method)

    monkeypatch.setattr(StripeGateway, "charge", charge)
    return sent


@pytest.mark.django_db
def test_a_second_payment_while_one_is_with_the_gateway_is_told_it_is_under_way(
    stripe_acme, world, invoice, monkeypatch
):
    card = save_card(world, stripe_acme)
    refused: list[ValidationError] = []

    def pay_again() -> None:
        try:
            invoice_pay(invoice=invoice, method=card, actor=world.alice)
        except ValidationError as exc:
            refused.append(exc)

    sent = count_charges(monkeypatch, during=pay_again)
    attempt = invoice_pay(invoice=invoice, method=card, actor=world.alice)
    assert attempt.status == "succeeded"
    assert len(sent) == 1 and PaymentAttempt.objects.count() == 1
    assert [exc.code for exc in refused] == ["in_flight"]
    assert "already under way" in refused[0].messages[0]


@pytest.mark.django_db(transaction=True)
def test_six_concurrent_payments_send_one_attempt_to_the_gateway(
    stripe_acme, world, invoice, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this)")
    card = save_card(world, stripe_acme)
    # The first charge takes its time, as a real one can: the others arrive while it is out.
    sent = count_charges(monkeypatch, during=lambda: time.sleep(1.5))
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    errors: list[Exception] = []

    def pay() -> None:
        from django.db import connections

        try:
            barrier.wait()
            outcomes.append(invoice_pay(invoice=invoice, method=card, actor=world.alice).status)
        except ValidationError as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(sent) == 1 and PaymentAttempt.objects.count() == 1
    assert sorted(outcomes) == ["in_flight"] * 5 + ["succeeded"]
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.amount_due == 0


@pytest.mark.django_db
def test_while_an_outcome_is_unknown_another_card_is_refused_and_the_same_is_resent(
    stripe_acme, world, invoice, monkeypatch
):
    """Review of issue 10: an attempt the gateway never answered (a request died mid-call)
    may have charged. Another card or amount must not be charged beside it; the same card and
    amount resend it under its own key, with its own parameters."""
    from datetime import timedelta

    from django.utils import timezone

    first, second = save_card(world, stripe_acme), save_card(world, stripe_acme)
    long_ago = timezone.now() - timedelta(minutes=30)
    unknown = PaymentAttempt.objects.create(
        tenant=invoice.tenant,
        customer=invoice.customer,
        invoice=invoice,
        number=1,
        payment_method=first,
        amount=invoice.amount_due,
        currency=invoice.currency,
        off_session=False,
        charging_since=long_ago,
    )
    PaymentAttempt.objects.filter(pk=unknown.pk).update(updated_at=long_ago)
    with pytest.raises(ValidationError) as refused:
        invoice_pay(invoice=invoice, method=second, actor=world.alice)
    assert refused.value.code == "in_flight"
    sent = count_charges(monkeypatch)
    attempt = invoice_pay(invoice=invoice, method=first, actor=world.alice, off_session=True)
    assert attempt.pk == unknown.pk and sent == [unknown.pk]
    assert attempt.status == "succeeded" and not attempt.off_session  # sent as it first was
    assert PaymentAttempt.objects.count() == 1


@pytest.mark.django_db
def test_an_unexpected_error_after_the_claim_leaves_no_claim(
    stripe_acme, world, invoice, monkeypatch
):
    card = save_card(world, stripe_acme)

    def breaks(self, attempt, method):
        raise RuntimeError("the worker's connection broke")

    monkeypatch.setattr(StripeGateway, "charge", breaks)
    attempt = invoice_pay(invoice=invoice, method=card, actor=world.alice)
    attempt.refresh_from_db()
    assert attempt.status == "processing" and attempt.charging_since is None
