"""Payment reminders: each step once, on the business's days; missed steps are passed over;
none while credit covers the invoice; one failing send never stops the others."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.test import TestCase

from billing.collections.reminders import invoice_reminders_send
from billing.models import CustomerCreditEntry, InvoiceStatus
from billing.payments.services import invoice_mark_paid
from core.roles import SYSTEM
from core.validators import validate_reminder_days
from tests.billing.test_signed_links import issue

# The run queues each reminder; a task sends it after commit (in-process here).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def reminders_for(invoice):
    return [m for m in mail.outbox if invoice.number in m.subject]


def run(world, day, tenant=None):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return invoice_reminders_send(tenant=tenant or world.acme, today=day)


def outcomes(invoice):
    return set(invoice.reminders.values_list("offset_days", "outcome"))


def test_each_step_is_sent_once_on_its_day(world):
    world.alpha.invoice_recipients = ["ap@alpha.test"]
    world.alpha.save()
    invoice = issue(world)
    due = invoice.due_date
    mail.outbox.clear()
    for offset in range(-5, 15):
        run(world, due + timedelta(days=offset))
        run(world, due + timedelta(days=offset))  # an hourly run again the same day sends nothing
    sent = reminders_for(invoice)
    assert len(sent) == 3 and all(m.to == ["ap@alpha.test"] for m in sent)
    assert "is due on" in sent[0].subject and "Payment reminder" in sent[1].subject
    assert "is still open" in sent[2].body and "/l/invoice/" in sent[2].body
    assert outcomes(invoice) == {(-3, "sent"), (3, "sent"), (10, "sent")}


def test_missed_steps_are_passed_over_not_sent_late(world):
    invoice = issue(world)
    mail.outbox.clear()
    assert run(world, invoice.due_date + timedelta(days=12)) == 1
    assert "Payment reminder" in reminders_for(invoice)[0].subject
    assert outcomes(invoice) == {(-3, "passed_over"), (3, "passed_over"), (10, "sent")}


@pytest.mark.parametrize("status", [InvoiceStatus.PAID, InvoiceStatus.VOID, "uncollectible"])
def test_only_open_invoices_are_chased(world, status):
    invoice = issue(world)
    if status == InvoiceStatus.PAID:
        invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=invoice.gross_amount)
    else:
        from billing.documents.invoice_state import move_invoice

        move_invoice(invoice, status, kind=status, actor=SYSTEM)
        invoice.save(update_fields=["status"])
    mail.outbox.clear()
    assert run(world, invoice.due_date + timedelta(days=3)) == 0
    assert not invoice.reminders.exists()


def test_a_partly_paid_invoice_is_chased_for_the_rest(world):
    invoice = issue(world)  # 119.00
    invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=Decimal("100"))
    mail.outbox.clear()
    assert run(world, invoice.due_date + timedelta(days=3)) == 1
    assert "19.00" in reminders_for(invoice)[0].body


def test_businesses_without_steps_send_none_and_others_are_left_alone(world):
    acme_invoice = issue(world)
    globex_invoice = issue(world, customer=world.charlie_co)
    world.acme.reminder_days = []
    world.acme.save()
    mail.outbox.clear()
    assert run(world, acme_invoice.due_date + timedelta(days=3)) == 0
    assert not reminders_for(globex_invoice)  # acme's run never touches globex
    assert run(world, globex_invoice.due_date + timedelta(days=3), tenant=world.globex) == 1
    assert not acme_invoice.reminders.exists() and reminders_for(globex_invoice)


def test_a_pre_due_step_before_the_invoice_existed_is_skipped(world):
    world.alpha.payment_terms_days = 2  # issued after "3 days before due"
    world.alpha.save()
    invoice = issue(world)
    mail.outbox.clear()
    assert run(world, invoice.due_date) == 0
    assert run(world, invoice.due_date + timedelta(days=3)) == 1
    assert outcomes(invoice) == {(-3, "passed_over"), (3, "sent")}


def test_without_a_recipient_the_step_is_recorded_as_such(world):
    invoice = issue(world)
    world.alpha.contacts.update(is_active=False)
    world.alpha.invoice_recipients = []
    world.alpha.save()
    assert run(world, invoice.due_date + timedelta(days=3)) == 0
    assert outcomes(invoice) == {(-3, "passed_over"), (3, "no_recipient")}


def test_credit_covers_the_oldest_invoices_first_and_only_as_far_as_it_goes(world):
    first, second = issue(world), issue(world)
    mail.outbox.clear()
    credit = CustomerCreditEntry.objects.create(
        tenant=world.acme, customer=world.alpha, currency=first.currency, amount=first.amount_due
    )
    assert run(world, first.due_date + timedelta(days=3)) == 1
    assert not reminders_for(first) and reminders_for(second)
    credit.delete()  # used up elsewhere: the first invoice is chased again
    assert run(world, first.due_date + timedelta(days=4)) == 1
    assert reminders_for(first)


def test_a_failing_send_is_retried_and_does_not_stop_the_others(world, monkeypatch):
    world.alpha.invoice_recipients = ["bounce@alpha.test"]
    world.alpha.save()
    failing, fine = issue(world), issue(world, customer=world.bravo)
    original = EmailMessage.send

    def send(message, fail_silently=False):
        if "bounce@alpha.test" in message.to:
            raise OSError("550 mailbox unavailable")
        return original(message, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", send)
    mail.outbox.clear()
    day = failing.due_date + timedelta(days=3)
    assert run(world, day) == 2
    assert reminders_for(fine) and not reminders_for(failing)
    assert outcomes(failing) == {(-3, "passed_over"), (3, "queued")}  # not lost
    monkeypatch.setattr(EmailMessage, "send", original)
    assert run(world, day) == 0  # nothing new is due; the queued one goes out again
    assert len(reminders_for(failing)) == 1 and (3, "sent") in outcomes(failing)


def test_a_reminder_queued_before_a_payment_is_not_sent(world, eager_tasks):
    invoice = issue(world)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        invoice_reminders_send(tenant=world.acme, today=invoice.due_date + timedelta(days=3))
    invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=invoice.amount_due)
    for send in queued:
        send()
    assert not reminders_for(invoice) and (3, "passed_over") in outcomes(invoice)


def test_the_reminder_speaks_the_buyers_language(world):
    world.alpha.language = "de"
    world.alpha.save()
    invoice = issue(world)
    mail.outbox.clear()
    run(world, invoice.due_date + timedelta(days=3))
    assert "Zahlungserinnerung" in reminders_for(invoice)[0].subject


def test_the_hourly_task_uses_each_business_calendar_day(world):
    from billing.collections.tasks import send_payment_reminders

    world.acme.timezone = "Pacific/Auckland"  # UTC+13 in March
    world.acme.save()
    invoice = issue(world)
    mail.outbox.clear()
    # 11:30 UTC on due+2 is already due+3 in Auckland.
    with (
        time_machine.travel(f"{invoice.due_date + timedelta(days=2)} 11:30:00+00:00", tick=False),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        assert send_payment_reminders() == 1
    assert outcomes(invoice) == {(-3, "passed_over"), (3, "sent")}


def test_reminders_take_a_constant_number_of_queries_to_decide(world, django_assert_num_queries):
    invoices = [issue(world) for _ in range(5)]
    day = invoices[0].due_date + timedelta(days=3)
    assert run(world, day) == 5
    # the reminders still queued, the open invoices, the credit balances
    with django_assert_num_queries(3):
        assert run(world, day + timedelta(days=1)) == 0  # all five reminded already


@pytest.mark.parametrize("value", [[1, "x"], "3", [True], [400], list(range(11))])
def test_reminder_steps_are_checked(value):
    with pytest.raises(ValidationError):
        validate_reminder_days(value)
    validate_reminder_days([-3, 3, 10, 20])
