"""Voiding a finalized invoice: a credit note for its full amount cancels it, or it is refused.
Its number stays issued, and statements list both numbers."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.collections.statements import statement
from billing.documents.credit_notes import credit_note_issue
from billing.documents.services import invoice_finalize, invoice_void
from billing.models import CreditNote, CustomerCreditEntry, Invoice
from billing.payments.services import invoice_mark_paid
from core.roles import SYSTEM
from tests.billing.conftest import draft
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

CHANGELIST = "/manage/billing/invoice/"


def test_voiding_an_open_invoice_issues_a_credit_note_for_all_of_it(world, invoice):
    note = invoice_void(
        invoice=invoice,
        actor=world.staff["acme", "manager"],
        reason="Sent in error",
        today=date(2026, 3, 2),
    )
    invoice.refresh_from_db()
    assert invoice.status == "void" and invoice.number == "INV-2026-000001"
    assert (note.number, note.invoice, note.gross_amount) == (
        "CN-2026-000001",
        invoice,
        invoice.gross_amount,
    )
    assert note.lines.get().quantity == invoice.lines.get().quantity
    assert note.reason == "Invoice INV-2026-000001 is cancelled."
    assert invoice.amount_due == 0
    # Nothing was owed after it: no customer credit comes of it.
    assert not CustomerCreditEntry.objects.filter(customer=world.alpha).exists()
    assert invoice.events.filter(kind="voided", data__credit_note=note.number).exists()


def test_statements_list_the_voided_invoice_and_its_credit_note(world, invoice):
    invoice_void(
        invoice=invoice, actor=world.staff["acme", "manager"], reason="x", today=date(2026, 3, 2)
    )
    shown = statement(customer=world.alpha, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert [(e.label, e.amount) for e in shown.entries] == [
        ("Invoice INV-2026-000001 (void)", Decimal("119.00")),
        ("Credit note CN-2026-000001", Decimal("-119.00")),
    ]
    assert shown.closing == 0


def test_an_invoice_voided_without_a_credit_note_keeps_its_number_at_nil(world, invoice):
    """Voided before voiding issued credit notes: still listed, at nil."""
    Invoice.objects.filter(pk=invoice.pk).update(status="void")
    shown = statement(customer=world.alpha, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert [(e.label, e.amount) for e in shown.entries] == [
        ("Invoice INV-2026-000001 (void)", Decimal(0))
    ]


@pytest.mark.parametrize("settle", ["paid", "credited"])
def test_a_partly_settled_invoice_is_refused(world, invoice, settle):
    if settle == "paid":
        invoice_mark_paid(invoice=invoice, actor=world.staff["acme", "manager"], amount=Decimal(10))
    else:
        credit_note_issue(
            invoice=invoice,
            actor=world.staff["acme", "manager"],
            today=date(2026, 3, 2),
            reason="Discount",
            quantities={invoice.lines.get().pk: Decimal("0.1")},
        )
    notes = CreditNote.objects.count()
    with pytest.raises(ValidationError) as refused:
        invoice_void(invoice=invoice, actor=world.staff["acme", "manager"], reason="x")
    assert "already paid or credited" in refused.value.messages[0]
    invoice.refresh_from_db()
    assert invoice.status == "open" and CreditNote.objects.count() == notes


def test_a_paid_invoice_is_refused(world, invoice):
    invoice_mark_paid(invoice=invoice, actor=world.staff["acme", "manager"], amount=Decimal(119))
    with pytest.raises(ValidationError, match="Only an open invoice"):
        invoice_void(invoice=invoice, actor=world.staff["acme", "manager"], reason="x")


def test_the_back_office_action_says_which_credit_note_cancels_it(world, invoice):
    manager = client_for(world.staff["acme", "manager"], world.acme)
    response = manager.post(
        CHANGELIST, {"action": "void", "_selected_action": [invoice.pk]}, follow=True
    )
    said = [str(m) for m in response.context["messages"]]
    note = CreditNote.objects.get(invoice=invoice)
    assert any(f"credit note {note.number} cancels it" in m for m in said), said
    invoice.refresh_from_db()
    assert invoice.status == "void"


def test_the_back_office_action_explains_a_refusal(world, invoice):
    invoice_mark_paid(invoice=invoice, actor=world.staff["acme", "manager"], amount=Decimal(10))
    manager = client_for(world.staff["acme", "manager"], world.acme)
    response = manager.post(
        CHANGELIST, {"action": "void", "_selected_action": [invoice.pk]}, follow=True
    )
    said = [str(m) for m in response.context["messages"]]
    assert any("already paid or credited" in m for m in said), said
    invoice.refresh_from_db()
    assert invoice.status == "open"


def test_the_voided_invoices_page_names_the_credit_note_that_cancels_it(world, invoice):
    note = invoice_void(
        invoice=invoice, actor=world.staff["acme", "manager"], reason="x", today=date(2026, 3, 2)
    )
    page = world.client(world.alice).get(f"/invoices/{invoice.pk}/").content.decode()
    assert note.number in page
    assert f"This credit note reduced the amount due on invoice {invoice.number}" in page


def test_voiding_an_invoice_with_nothing_due_cancels_it_too(world):
    # A 100 % discount, say: nothing to pay, but its number was issued and stays accounted for.
    zero = invoice_finalize(
        invoice=draft(world, ("Free month", "1", "0")), actor=SYSTEM, today=date(2026, 3, 1)
    )
    note = invoice_void(
        invoice=zero, actor=world.staff["acme", "manager"], reason="x", today=date(2026, 3, 2)
    )
    zero.refresh_from_db()
    assert zero.status == "void" and note.gross_amount == 0
    assert note.invoice_id == zero.pk
    with pytest.raises(ValidationError):  # once is all
        invoice_void(invoice=zero, actor=world.staff["acme", "manager"], reason="x")
