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
