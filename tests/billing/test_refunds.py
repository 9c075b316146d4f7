"""Refunds from the back office (Manager and up): a credit note settled as a refund, paid back
through the gateway for card payments — against localstripe."""

from decimal import Decimal

import pytest

from billing.models import CreditNote, PaymentAttempt, Refund
from billing.payments.services import invoice_mark_paid, invoice_pay
from core.roles import SYSTEM
from tests.billing.test_payments import save_card
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_by_card(world, stripe_acme, invoice):
    card = save_card(world, stripe_acme)
    invoice_pay(invoice=invoice, method=card, actor=world.alice)
    invoice.refresh_from_db()
    return invoice


def refund_in_full(world, invoice, role="manager", capture=None):
    client = client_for(world.staff["acme", role], world.acme)
    with capture(execute=True):
        return client.post(
            "/manage/billing/invoice/",
            {"action": "refund_in_full", "_selected_action": [invoice.pk]},
        )


def test_a_manager_refunds_a_card_payment_with_a_credit_note(
    world, paid_by_card, eager_tasks, django_capture_on_commit_callbacks
):
    refund_in_full(world, paid_by_card, capture=django_capture_on_commit_callbacks)
    note = CreditNote.objects.get(invoice=paid_by_card)
    assert note.settlement == "refund" and note.gross_amount == Decimal("119.00")
    refund = Refund.objects.get(credit_note=note)
    assert refund.status == "succeeded" and refund.gateway_refund_id.startswith("re_")
    assert refund.payment.attempt.invoice == paid_by_card
    page = world.client(world.alice).get("/payments/").content.decode()
    assert "Refunded" in page and note.number in page and "−€119.00" in page


def test_billing_staff_cannot_refund(world, paid_by_card, django_capture_on_commit_callbacks):
    refund_in_full(world, paid_by_card, role="billing", capture=django_capture_on_commit_callbacks)
    assert not CreditNote.objects.exists()


def test_a_bank_transfer_is_left_to_pay_back_by_hand(
    world, invoice, eager_tasks, django_capture_on_commit_callbacks
):
    invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=invoice.gross_amount)
    refund_in_full(world, invoice, capture=django_capture_on_commit_callbacks)
    assert Refund.objects.get().status == "manual"


def test_a_failed_refund_is_retried_without_paying_twice(
    world, paid_by_card, eager_tasks, django_capture_on_commit_callbacks
):
    attempt = PaymentAttempt.objects.get(invoice=paid_by_card)
    real = attempt.intent_id
    PaymentAttempt.objects.filter(pk=attempt.pk).update(intent_id="pi_unknown")
    refund_in_full(world, paid_by_card, capture=django_capture_on_commit_callbacks)
    refund = Refund.objects.get()
    assert refund.status == "failed" and refund.failure_message
    PaymentAttempt.objects.filter(pk=attempt.pk).update(intent_id=real)
    client = client_for(world.staff["acme", "manager"], world.acme)
    client.post("/manage/billing/refund/", {"action": "retry", "_selected_action": [refund.pk]})
    refund.refresh_from_db()
    assert refund.status == "succeeded"


def test_the_credit_note_form_says_refunds_need_a_manager(world, paid_by_card):
    client = client_for(world.staff["acme", "billing"], world.acme)
    url = f"/manage/billing/invoice/{paid_by_card.pk}/credit-note/"
    line = paid_by_card.lines.get()
    response = client.post(url, {"reason": "x", "settlement": "refund", f"line_{line.pk}": "1"})
    assert "Refunds are given by a Manager" in response.content.decode()
    assert not CreditNote.objects.exists()


def test_a_card_payment_typed_in_by_staff_is_paid_back_by_hand(
    world, invoice, eager_tasks, django_capture_on_commit_callbacks
):
    invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=invoice.gross_amount, method="card")
    refund_in_full(world, invoice, capture=django_capture_on_commit_callbacks)
    assert Refund.objects.get().status == "manual"


def test_billing_staff_cannot_mark_a_note_that_only_settles_what_is_due_as_a_refund(world, invoice):
    from django.core.exceptions import PermissionDenied

    from billing.payments.refunds import credit_note_refund

    with pytest.raises(PermissionDenied):
        credit_note_refund(
            invoice=invoice,
            actor=world.staff["acme", "billing"],
            today=invoice.issue_date,
            reason="r",
        )
    assert not CreditNote.objects.exists() and not Refund.objects.exists()
    invoice.refresh_from_db()
    assert invoice.status == "open" and invoice.amount_due == invoice.gross_amount


def test_the_credit_note_form_refuses_billing_staff_a_refund_that_only_settles_what_is_due(
    world, invoice
):
    client = client_for(world.staff["acme", "billing"], world.acme)
    line = invoice.lines.get()
    response = client.post(
        f"/manage/billing/invoice/{invoice.pk}/credit-note/",
        {"reason": "x", "settlement": "refund", f"line_{line.pk}": "1"},
    )
    assert response.status_code == 200
    assert "Refunds are given by a Manager" in response.content.decode()
    assert not CreditNote.objects.exists()


def test_a_manager_marks_a_note_that_only_settles_what_is_due_as_a_refund(world, invoice):
    from billing.payments.refunds import credit_note_refund

    note = credit_note_refund(
        invoice=invoice, actor=world.staff["acme", "manager"], today=invoice.issue_date, reason="r"
    )
    assert note.settlement == "refund" and not Refund.objects.exists()
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.amount_due == 0
