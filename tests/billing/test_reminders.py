"""Payment reminders: each step once, on the business's days; missed steps are passed over."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from billing.models import CustomerCreditEntry, InvoiceReminder
from billing.reminders import send_payment_reminders
from billing.services import invoice_mark_paid
from core.validators import validate_reminder_days
from tests.billing.test_signed_links import issue

pytestmark = pytest.mark.django_db


def reminders_for(invoice):
    return [m for m in mail.outbox if invoice.number in m.subject]


def run(world, day):
    return send_payment_reminders(tenant=world.acme, today=day)


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
    assert set(invoice.reminders.values_list("offset_days", "sent")) == {
        (-3, True),
        (3, True),
        (10, True),
    }


def test_missed_steps_are_passed_over_not_sent_late(world):
    invoice = issue(world)
    mail.outbox.clear()
    assert run(world, invoice.due_date + timedelta(days=12)) == 1
    assert "Payment reminder" in reminders_for(invoice)[0].subject
    assert set(invoice.reminders.values_list("offset_days", "sent")) == {
        (-3, False),
        (3, False),
        (10, True),
    }


def test_paid_invoices_and_businesses_without_steps_get_none(world):
    paid, other = issue(world), issue(world)
    invoice_mark_paid(invoice=paid, actor=None, amount=paid.gross_amount)
    world.acme.reminder_days = []
    world.acme.save()
    mail.outbox.clear()
    assert run(world, other.due_date + timedelta(days=3)) == 0
    world.acme.reminder_days = [3]
    world.acme.save()
    assert run(world, other.due_date + timedelta(days=3)) == 1
    assert not reminders_for(paid) and len(reminders_for(other)) == 1
    assert not InvoiceReminder.objects.filter(invoice=paid).exists()


def test_a_pre_due_step_before_the_invoice_existed_is_skipped(world):
    world.alpha.payment_terms_days = 2  # issued after "3 days before due"
    world.alpha.save()
    invoice = issue(world)
    mail.outbox.clear()
    assert run(world, invoice.due_date) == 0
    assert run(world, invoice.due_date + timedelta(days=3)) == 1
    assert list(invoice.reminders.values_list("offset_days", "sent")) == [(-3, False), (3, True)]


def test_the_reminder_speaks_the_buyers_language(world):
    world.alpha.language = "de"
    world.alpha.save()
    invoice = issue(world)
    mail.outbox.clear()
    run(world, invoice.due_date + timedelta(days=3))
    assert "Zahlungserinnerung" in reminders_for(invoice)[0].subject


def test_the_hourly_task_uses_each_business_calendar_day(world):
    from billing.tasks import send_payment_reminders as task

    invoice = issue(world, issued=date(2026, 3, 1))
    mail.outbox.clear()
    with time_machine.travel(f"{invoice.due_date + timedelta(days=3)} 12:00:00+00:00", tick=False):
        assert task() >= 1
    assert reminders_for(invoice)


@pytest.mark.parametrize("value", [[1, "x"], "3", [True], [400], list(range(11))])
def test_reminder_steps_are_checked(value):
    with pytest.raises(ValidationError):
        validate_reminder_days(value)
    validate_reminder_days([-3, 3, 10, 20])


def test_no_reminder_while_the_customers_credit_covers_it(world):
    invoice = issue(world)
    mail.outbox.clear()
    credit = CustomerCreditEntry.objects.create(
        tenant=world.acme,
        customer=world.alpha,
        currency=invoice.currency,
        amount=invoice.amount_due,
    )
    assert run(world, invoice.due_date + timedelta(days=3)) == 0
    assert not invoice.reminders.exists()
    credit.delete()  # used up elsewhere: the invoice is chased again
    assert run(world, invoice.due_date + timedelta(days=4)) == 1
