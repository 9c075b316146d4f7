from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from billing.documents.credit_notes import (
    credit_note_issue,
    creditable_quantity,
    customer_credit_balance,
)
from billing.documents.services import invoice_finalize
from billing.models import CreditNoteLine, CustomerCreditEntry, TaxRate
from billing.payments.refunds import credit_note_refund
from billing.payments.services import invoice_mark_paid
from core.roles import SYSTEM
from tests.billing.test_invoices import draft

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 20)


@pytest.fixture(autouse=True)
def vat(world):
    return TaxRate.objects.create(
        tenant=world.acme, name="Standard", rate=Decimal("19"), is_default=True
    )


def issued(world, *lines):
    return invoice_finalize(invoice=draft(world, *lines), actor=SYSTEM, today=TODAY)


def test_a_full_credit_note_settles_an_open_invoice(world):
    invoice = issued(world, ("Helpdesk", "1", "100"))
    note = credit_note_issue(invoice=invoice, actor=SYSTEM, today=TODAY, reason="Wrong customer")
    invoice.refresh_from_db()
    assert note.number == "CN-2026-000001" and note.gross_amount == Decimal("119.00")
    assert invoice.status == "paid" and invoice.amount_due == 0
    assert customer_credit_balance(world.alpha, "EUR") == 0
    with pytest.raises(ValidationError):  # nothing left to credit
        credit_note_issue(invoice=invoice, actor=SYSTEM, today=TODAY, reason="Again")


def test_crediting_a_paid_invoice_leaves_customer_credit_used_by_the_next_invoice(world):
    paid = issued(world, ("Seats", "10", "10"))
    invoice_mark_paid(invoice=paid, actor=SYSTEM, amount=paid.gross_amount)
    line = paid.lines.get()
    credit_note_issue(
        invoice=paid,
        actor=SYSTEM,
        today=TODAY,
        reason="3 seats unused",
        quantities={line.pk: Decimal(3)},
    )
    assert customer_credit_balance(world.alpha, "EUR") == Decimal("35.70")
    assert creditable_quantity(line) == Decimal(7)
    small = issued(world, ("Extra", "1", "10"))  # 11.90: fully paid by credit
    assert small.status == "paid" and small.amount_credited == Decimal("11.90")
    big = issued(world, ("Big", "1", "100"))  # 119.00: the remaining 23.80 only
    assert big.status == "open" and big.amount_credited == Decimal("23.80")
    assert big.amount_due == Decimal("95.20")
    assert customer_credit_balance(world.alpha, "EUR") == 0


def test_more_than_the_line_cannot_be_credited(world):
    invoice = issued(world, ("Seats", "2", "10"))
    line = invoice.lines.get()
    with pytest.raises(ValidationError):
        credit_note_issue(
            invoice=invoice, actor=SYSTEM, today=TODAY, reason="x", quantities={line.pk: Decimal(3)}
        )


def test_a_reason_is_required_and_drafts_are_not_credited(world):
    invoice = issued(world, ("x", "1", "10"))
    with pytest.raises(ValidationError):
        credit_note_issue(invoice=invoice, actor=SYSTEM, today=TODAY, reason=" ")
    with pytest.raises(ValidationError):
        credit_note_issue(
            invoice=draft(world, ("x", "1", "1")), actor=SYSTEM, today=TODAY, reason="x"
        )


def test_a_refund_leaves_no_customer_credit(world):
    paid = issued(world, ("x", "1", "100"))
    invoice_mark_paid(invoice=paid, actor=SYSTEM, amount=paid.gross_amount)
    credit_note_refund(invoice=paid, actor=SYSTEM, today=TODAY, reason="Goodwill")
    assert not CustomerCreditEntry.objects.exists()


class TestCreditProperties(HypothesisTestCase):
    """Property: credit notes never exceed what remains creditable; customer credit never
    settles more than an invoice asks for, and never goes negative."""

    @settings(max_examples=25, deadline=None)
    @given(
        prices=st.lists(st.integers(1, 500), min_size=1, max_size=4),
        credited=st.lists(st.integers(0, 3), min_size=1, max_size=4),
        next_price=st.integers(1, 800),
    )
    def test_credit_invariants(self, prices, credited, next_price):
        from tests.factories import CustomerFactory, TenantFactory

        tenant = TenantFactory()
        TaxRate.objects.create(tenant=tenant, name="S", rate=Decimal("20"), is_default=True)
        customer = CustomerFactory(tenant=tenant)
        from billing.documents.services import invoice_add_line, invoice_create_draft

        first = invoice_create_draft(customer=customer, actor=SYSTEM)
        for price in prices:
            invoice_add_line(
                invoice=first,
                description="l",
                quantity=Decimal(3),
                unit_price=Decimal(price),
                actor=SYSTEM,
            )
        first = invoice_finalize(invoice=first, actor=SYSTEM, today=TODAY)
        invoice_mark_paid(invoice=first, actor=SYSTEM, amount=first.gross_amount)
        lines = list(first.lines.all())
        quantities = {line.pk: Decimal(q) for line, q in zip(lines, credited, strict=False) if q}
        if quantities:
            note = credit_note_issue(
                invoice=first, actor=SYSTEM, today=TODAY, reason="r", quantities=quantities
            )
            assert note.gross_amount <= first.gross_amount
            for line in lines:
                assert creditable_quantity(line) >= 0
        balance = customer_credit_balance(customer, "EUR")
        second = invoice_create_draft(customer=customer, actor=SYSTEM)
        invoice_add_line(
            invoice=second, description="n", unit_price=Decimal(next_price), actor=SYSTEM
        )
        second = invoice_finalize(invoice=second, actor=SYSTEM, today=TODAY)
        assert second.amount_credited == min(balance, second.gross_amount)
        assert second.amount_due >= 0
        assert customer_credit_balance(customer, "EUR") >= 0


class TestPartialCreditsProperty(HypothesisTestCase):
    @settings(max_examples=40, deadline=None)
    @given(
        quantity=st.integers(2, 12),
        price=st.decimals("0.001", "3", places=4),
        parts=st.lists(st.integers(1, 4), min_size=1, max_size=6),
    )
    @example(quantity=4, price=Decimal("0.005"), parts=[1, 1, 1, 1])
    def test_credit_notes_never_exceed_the_line(self, quantity, price, parts):
        from tests.factories import CustomerFactory, TenantFactory

        tenant = TenantFactory()
        TaxRate.objects.create(tenant=tenant, name="S", rate=Decimal("19"), is_default=True)
        customer = CustomerFactory(tenant=tenant)
        from billing.documents.services import invoice_add_line, invoice_create_draft

        invoice = invoice_create_draft(customer=customer, actor=SYSTEM)
        invoice_add_line(
            invoice=invoice,
            description="l",
            quantity=Decimal(quantity),
            unit_price=price,
            actor=SYSTEM,
        )
        invoice = invoice_finalize(invoice=invoice, actor=SYSTEM, today=TODAY)
        line = invoice.lines.get()
        for part in parts:
            part = min(Decimal(part), creditable_quantity(line))
            if not part:
                break
            credit_note_issue(
                invoice=invoice, actor=SYSTEM, today=TODAY, reason="r", quantities={line.pk: part}
            )
        credited = list(CreditNoteLine.objects.filter(invoice_line=line))
        assert all(c.net_amount >= 0 and c.tax_amount >= 0 for c in credited)
        assert sum(c.net_amount for c in credited) <= line.net_amount
        assert sum(c.tax_amount for c in credited) <= line.tax_amount
        if creditable_quantity(line) == 0:
            assert sum(c.gross_amount for c in credited) == line.gross_amount


def test_four_half_cents_credited_one_by_one_stay_within_the_line(world):
    TaxRate.objects.filter(tenant=world.acme).update(rate=Decimal(0))
    invoice = issued(world, ("Tiny", "4", "0.005"))  # 0.02 on the invoice
    line = invoice.lines.get()
    notes = [
        credit_note_issue(
            invoice=invoice, actor=SYSTEM, today=TODAY, reason="r", quantities={line.pk: Decimal(1)}
        )
        for _ in range(4)
    ]
    amounts = [note.gross_amount for note in notes]
    assert sum(amounts) == Decimal("0.02") and min(amounts) >= 0


def unused_seats_credited(world, *, seats):
    """A paid invoice for 10 seats at 10 €, `seats` of them credited as customer credit."""
    paid = issued(world, ("Seats", "10", "10"))
    invoice_mark_paid(invoice=paid, actor=SYSTEM, amount=paid.gross_amount)
    return credit_note_issue(
        invoice=paid,
        actor=SYSTEM,
        today=TODAY,
        reason="Unused seats",
        quantities={paid.lines.get().pk: Decimal(seats)},
    )


def test_the_customer_sees_credit_notes_and_the_credit_balance(world):
    note = unused_seats_credited(world, seats=2)
    content = world.client(world.alice).get("/invoices/").content.decode()
    assert note.number in content and "Unused seats" in content
    assert "credit balance of €23.80" in content
    assert note.number not in world.client(world.bob).get("/invoices/").content.decode()


def test_the_credits_page_shows_credit_notes_and_how_the_credit_was_used(
    world, django_assert_max_num_queries
):
    note = unused_seats_credited(world, seats=3)
    used_by = issued(world, ("Extra", "1", "10"))  # uses 11.90 of the 35.70
    client = world.client(world.alice)
    client.get("/credits/")  # warm the session and tenant caches
    with django_assert_max_num_queries(14):
        content = client.get("/credits/").content.decode()
    assert f"Credit note {note.number}" in content and "Unused seats" in content
    assert f"Used for invoice {used_by.number}" in content
    assert "€23.80" in content and "€35.70" in content
    assert note.number not in world.client(world.bob).get("/credits/").content.decode()


def test_billing_staff_credit_an_invoice_from_the_back_office(world):
    from billing.models import CreditNote
    from tests.conftest import client_for

    invoice = issued(world, ("x", "1", "100"))
    client = client_for(world.staff["acme", "billing"], world.acme)
    client.post(
        "/manage/billing/invoice/", {"action": "credit_in_full", "_selected_action": [invoice.pk]}
    )
    assert CreditNote.objects.get().invoice == invoice
    page = client.get(f"/manage/billing/creditnote/{CreditNote.objects.get().pk}/change/")
    assert page.status_code == 200 and world.acme.name in page.content.decode()


def test_partial_credits_add_up_to_the_line_without_residue(world):
    TaxRate.objects.filter(tenant=world.acme).update(rate=Decimal(0))
    invoice = issued(world, ("Tiny", "3", "0.335"))  # 1.005 → 1.01 on the invoice
    line = invoice.lines.get()
    for _ in range(3):
        credit_note_issue(
            invoice=invoice,
            actor=SYSTEM,
            today=TODAY,
            reason="one",
            quantities={line.pk: Decimal(1)},
        )
    from billing.models import CreditNote

    assert sum(n.gross_amount for n in CreditNote.objects.all()) == line.gross_amount


def test_crediting_an_uncollectible_invoice_settles_it_and_creates_no_credit(world):
    from billing.documents.invoice_state import move_invoice

    invoice = issued(world, ("x", "1", "100"))
    move_invoice(invoice, "uncollectible", kind="written_off", actor=SYSTEM)
    invoice.save(update_fields=["status"])
    credit_note_issue(invoice=invoice, actor=SYSTEM, today=TODAY, reason="Write-off")
    assert customer_credit_balance(world.alpha, "EUR") == 0
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.amount_due == 0


def test_an_invoice_settled_by_credit_cannot_be_voided(world):
    from billing.documents.services import invoice_void

    invoice = issued(world, ("x", "1", "100"))
    credit_note_issue(
        invoice=invoice,
        actor=SYSTEM,
        today=TODAY,
        reason="half",
        quantities={invoice.lines.get().pk: Decimal("0.5")},
    )
    invoice.refresh_from_db()
    with pytest.raises(ValidationError):
        invoice_void(invoice=invoice, actor=world.staff["acme", "manager"], reason="x")
    page = world.client(world.alice).get(f"/invoices/{invoice.pk}/").content.decode()
    assert "Credited" in page and "€59.50" in page


def test_an_unrounded_payment_is_rounded_first(world):
    invoice = issued(world, ("x", "1", "10"))  # 11.90
    paid = invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=Decimal("11.895"))
    assert paid.status == "paid" and paid.amount_due == 0
