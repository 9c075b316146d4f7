"""Invoices: drafts, finalization with gapless numbers, snapshots, VAT regimes, immutability."""

import threading
from datetime import UTC, date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.documents.calculations import line_amounts, totals
from billing.documents.services import (
    invoice_add_line,
    invoice_create_draft,
    invoice_delete_draft,
    invoice_finalize,
    invoice_void,
)
from billing.models import Invoice, InvoiceLine, TaxRate
from billing.payments.services import invoice_mark_paid
from contracts.services import customer_update
from core.roles import SYSTEM

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 20)


def refused():
    """What the frozen-document triggers raise (not just any database error)."""
    return pytest.raises(IntegrityError, match="cannot")


@pytest.fixture
def vat(world):
    return TaxRate.objects.create(
        tenant=world.acme, name="Standard", rate=Decimal("19"), is_default=True
    )


def draft(world, *lines, customer=None):
    invoice = invoice_create_draft(customer=customer or world.alpha, actor=SYSTEM)
    for description, quantity, price in lines:
        invoice_add_line(
            invoice=invoice,
            description=description,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            actor=SYSTEM,
        )
    return invoice


class TestFinalize:
    def test_it_numbers_dates_freezes_and_totals(self, world, vat):
        customer_update(
            customer=world.alpha,
            actor=world.staff["acme", "manager"],
            changes={"billing_street": "1 Main St", "po_number": "PO-7", "payment_terms_days": 30},
        )
        invoice = invoice_finalize(
            invoice=draft(world, ("Helpdesk", "1", "49.00"), ("Extra agent", "3", "9.995")),
            actor=SYSTEM,
            today=TODAY,
        )
        assert invoice.number == "INV-2026-000001" and invoice.status == "open"
        assert (invoice.issue_date, invoice.due_date) == (TODAY, date(2026, 4, 19))
        # Lines: 49.00 + 29.99 (3 × 9.995 = 29.985 → 29.99) = 78.99; VAT 9.31 + 5.70 = 15.01
        assert invoice.net_amount == Decimal("78.99")
        assert invoice.tax_amount == Decimal("15.01")
        assert invoice.gross_amount == Decimal("94.00")
        assert (
            invoice.buyer["po_number"] == "PO-7" and "1 Main St" in invoice.buyer["address_lines"]
        )
        # A later contract edit changes only future documents.
        customer_update(
            customer=world.alpha,
            actor=world.staff["acme", "manager"],
            changes={"po_number": "PO-8"},
        )
        invoice.refresh_from_db()
        assert invoice.buyer["po_number"] == "PO-7"

    def test_numbers_are_consecutive_and_restart_each_year(self, world, vat):
        numbers = [
            invoice_finalize(invoice=draft(world, ("x", "1", "1")), actor=SYSTEM, today=day).number
            for day in (date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1))
        ]
        assert numbers == ["INV-2026-000001", "INV-2026-000002", "INV-2027-000001"]

    def test_each_tenant_counts_on_its_own(self, world, vat):
        invoice_finalize(invoice=draft(world, ("x", "1", "1")), actor=SYSTEM, today=TODAY)
        other = invoice_finalize(
            invoice=draft(world, ("x", "1", "1"), customer=world.charlie_co),
            actor=SYSTEM,
            today=TODAY,
        )
        assert other.number == "INV-2026-000001"

    def test_reverse_charge_invoices_carry_no_vat(self, world, vat):
        world.acme.country = "DE"
        world.acme.save()
        customer_update(
            customer=world.alpha,
            actor=world.staff["acme", "billing"],
            changes={"vat_regime": "reverse_charge", "vat_id": "FR40303265045"},
        )
        invoice = invoice_finalize(
            invoice=draft(world, ("Consulting", "2", "100")), actor=SYSTEM, today=TODAY
        )
        assert invoice.tax_amount == 0 and invoice.gross_amount == Decimal("200.00")
        assert invoice.vat_regime == "reverse_charge"
        assert invoice.lines.get().tax_rate == 0

    def test_an_empty_draft_cannot_be_finalized_nor_one_twice(self, world, vat):
        with pytest.raises(ValidationError):
            invoice_finalize(invoice=draft(world), actor=SYSTEM, today=TODAY)
        invoice = invoice_finalize(invoice=draft(world, ("x", "1", "1")), actor=SYSTEM, today=TODAY)
        with pytest.raises(ValidationError):
            invoice_finalize(invoice=invoice, actor=SYSTEM, today=TODAY)

    def test_support_staff_cannot_invoice(self, world):
        with pytest.raises(PermissionDenied):
            invoice_create_draft(customer=world.alpha, actor=world.staff["acme", "support"])


class TestImmutability:
    def test_services_refuse_to_edit_a_finalized_invoice(self, world, vat):
        invoice = invoice_finalize(
            invoice=draft(world, ("x", "1", "10")), actor=SYSTEM, today=TODAY
        )
        with pytest.raises(ValidationError):
            invoice_add_line(
                invoice=invoice, description="more", unit_price=Decimal(1), actor=SYSTEM
            )
        with pytest.raises(ValidationError):
            invoice_delete_draft(invoice=invoice, actor=world.staff["acme", "billing"])

    @pytest.mark.parametrize(
        "change",
        [
            {"gross_amount": Decimal("1.00")},
            {"number": "INV-HACKED"},
            {"buyer": {"name": "Someone else"}},
            {"issue_date": date(2020, 1, 1)},
        ],
    )
    def test_the_database_refuses_too(self, world, vat, change):
        invoice = invoice_finalize(
            invoice=draft(world, ("x", "1", "10")), actor=SYSTEM, today=TODAY
        )
        with refused(), transaction.atomic():
            Invoice.objects.filter(pk=invoice.pk).update(**change)

    def test_lines_of_a_finalized_invoice_cannot_change_or_vanish(self, world, vat):
        invoice = invoice_finalize(
            invoice=draft(world, ("x", "1", "10")), actor=SYSTEM, today=TODAY
        )
        with refused(), transaction.atomic():
            InvoiceLine.objects.filter(invoice=invoice).update(unit_price=Decimal(0))
        with refused(), transaction.atomic():
            InvoiceLine.objects.filter(invoice=invoice).delete()
        with refused(), transaction.atomic():
            Invoice.objects.filter(pk=invoice.pk).delete()

    def test_a_stored_pdf_is_never_replaced(self, world, vat):
        invoice = invoice_finalize(
            invoice=draft(world, ("x", "1", "10")), actor=SYSTEM, today=TODAY
        )
        rows = Invoice.objects.filter(pk=invoice.pk)
        rows.update(pdf="invoices/a.pdf", pdf_sha256="a" * 64)  # the first render: allowed
        with refused(), transaction.atomic():
            rows.update(pdf="invoices/b.pdf")
        with refused(), transaction.atomic():
            rows.update(pdf_sha256="b" * 64)

    def test_an_issued_credit_note_cannot_change_or_vanish(self, world, vat):
        from billing.documents.credit_notes import credit_note_issue
        from billing.models import CreditNote, CreditNoteLine

        invoice = invoice_finalize(
            invoice=draft(world, ("x", "1", "10")), actor=SYSTEM, today=TODAY
        )
        note = credit_note_issue(invoice=invoice, actor=SYSTEM, today=TODAY, reason="r")
        notes = CreditNote.objects.filter(pk=note.pk)
        for change in ({"gross_amount": Decimal(1)}, {"number": "CN-X"}, {"reason": "other"}):
            with refused(), transaction.atomic():
                notes.update(**change)
        with refused(), transaction.atomic():
            notes.delete()
        lines = CreditNoteLine.objects.filter(credit_note=note)
        with refused(), transaction.atomic():
            lines.update(quantity=Decimal(5))
        with refused(), transaction.atomic():
            lines.delete()
        notes.update(pdf="credit-notes/a.pdf", pdf_sha256="a" * 64)  # the first render
        with refused(), transaction.atomic():
            notes.update(pdf="credit-notes/b.pdf")
        with refused(), transaction.atomic():
            lines.update(tenant=world.globex)
        if connection.vendor == "postgresql":  # checked at commit; forced here
            line = lines.first()
            line.pk = None
            with refused(), transaction.atomic():
                line.save()
                connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")

    def test_status_and_payments_still_move(self, world, vat):
        invoice = invoice_finalize(
            invoice=draft(world, ("x", "1", "100")), actor=SYSTEM, today=TODAY
        )
        invoice = invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=Decimal("50"))
        assert invoice.status == "open" and invoice.amount_due == Decimal("69.00")
        invoice = invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=Decimal("69"))
        assert invoice.status == "paid"
        with pytest.raises(ValidationError):
            invoice_void(invoice=invoice, actor=world.staff["acme", "manager"], reason="x")


amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=4)
rates = st.sampled_from(
    [Decimal("0"), Decimal("7"), Decimal("10"), Decimal("19"), Decimal("20"), Decimal("22")]
)


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.integers(1, 50), amounts, rates), min_size=1, max_size=15),
    st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_totals_are_the_sums_of_rounded_lines(lines, currency):
    class Line:
        def __init__(self, quantity, price, rate):
            a = line_amounts(
                quantity=Decimal(quantity), unit_price=price, tax_rate=rate, currency=currency
            )
            self.net_amount, self.tax_amount, self.gross_amount, self.tax_rate = (
                a.net,
                a.tax,
                a.gross,
                rate,
            )

    made = [Line(*spec) for spec in lines]
    summed = totals(made, currency=currency)
    assert summed.net == sum(line.net_amount for line in made)
    assert summed.gross == summed.net + summed.tax
    assert sum(tax for _net, tax in summed.tax_by_rate.values()) == summed.tax


@pytest.mark.django_db(transaction=True)
def test_concurrent_finalizations_get_gapless_unique_numbers(world, vat):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this)")
    drafts = [draft(world, ("x", "1", "1")) for _ in range(24)]
    barrier = threading.Barrier(len(drafts))
    errors: list[Exception] = []

    def finalize(invoice) -> None:
        from django.db import connections

        try:
            barrier.wait()
            invoice_finalize(invoice=invoice, actor=SYSTEM, today=TODAY)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=finalize, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 25)]


class TestBackOffice:
    def test_billing_staff_write_a_draft_and_finalize_it(self, world, vat):
        from tests.conftest import client_for
        from tests.helpers import admin_form_data

        client = client_for(world.staff["acme", "billing"], world.acme)
        add = "/manage/billing/invoice/add/"
        response = client.post(
            add, admin_form_data(client.get(add), customer=world.alpha.pk, currency="EUR")
        )
        assert response.status_code == 302
        invoice = Invoice.objects.get()
        url = f"/manage/billing/invoice/{invoice.pk}/change/"
        page = client.get(url)
        response = client.post(
            url,
            admin_form_data(
                page,
                **{
                    "lines-TOTAL_FORMS": "1",
                    "lines-0-description": "Workshop",
                    "lines-0-quantity": "2",
                    "lines-0-unit_price": "450.005",
                    "lines-0-tax_rate": "19",
                },
            ),
        )
        assert response.status_code == 302
        line = invoice.lines.get()
        assert line.net_amount == Decimal("900.01") and line.tax_amount == Decimal("171.00")
        client.post(
            "/manage/billing/invoice/", {"action": "finalize", "_selected_action": [invoice.pk]}
        )
        invoice.refresh_from_db()
        assert invoice.status == "open" and invoice.number == "INV-2026-000001"
        assert invoice.gross_amount == Decimal("1071.01")
        # Finalized: the lines are read-only and voiding needs a Manager.
        page = client.get(url)
        assert page.context["inline_admin_formsets"][0].has_change_permission is False
        # The frozen parties read as on the document, not as editable JSON.
        content = page.content.decode()
        assert f"Customer number: {world.alpha.number}" in content
        assert 'name="seller"' not in content and "&quot;vat_id&quot;" not in content
        client.post(
            "/manage/billing/invoice/", {"action": "void", "_selected_action": [invoice.pk]}
        )
        invoice.refresh_from_db()
        assert invoice.status == "open"
        # A bank transfer arrived: record it in full.
        client.post(
            "/manage/billing/invoice/", {"action": "mark_paid", "_selected_action": [invoice.pk]}
        )
        invoice.refresh_from_db()
        assert invoice.status == "paid" and invoice.amount_paid == Decimal("1071.01")
        assert invoice.allocations.get().payment.reference == invoice.number

    def test_billing_staff_record_a_partial_payment(self, world, vat):
        from tests.conftest import client_for

        invoice = invoice_finalize(
            invoice=draft(world, ("Audit", "1", "100")), actor=SYSTEM, today=TODAY
        )  # 119.00 due
        url = f"/manage/billing/invoice/{invoice.pk}/payment/"
        client = client_for(world.staff["acme", "billing"], world.acme)
        assert url in client.get(f"/manage/billing/invoice/{invoice.pk}/change/").content.decode()
        page = client.get(url)
        assert page.status_code == 200 and page.context["form"]["amount"].value() == Decimal("119")
        too_much = client.post(
            url, {"amount": "500", "received_on": "2026-03-05", "method": "bank_transfer"}
        )
        assert too_much.status_code == 200 and too_much.context["form"].errors["amount"]
        assert client.post(url, {"amount": "abc", "received_on": "2026-02-31"}).status_code == 200
        done = client.post(
            url,
            {
                "amount": "19",
                "received_on": "2026-03-05",
                "reference": "TX9",
                "method": "bank_transfer",
            },
        )
        assert done.status_code == 302
        invoice.refresh_from_db()
        assert invoice.status == "open" and invoice.amount_paid == Decimal("19.00")
        payment = invoice.allocations.get().payment
        assert (payment.received_on, payment.reference) == (date(2026, 3, 5), "TX9")
        support = client_for(world.staff["acme", "support"], world.acme)
        assert support.get(url).status_code == 403
        outsider = client_for(world.staff["globex", "owner"], world.globex)
        assert outsider.get(url).status_code == 404

    def test_billing_staff_credit_part_of_a_line(self, world, vat):
        from tests.conftest import client_for

        invoice = invoice_finalize(
            invoice=draft(world, ("Seats", "3", "10"), ("Setup", "1", "50")),
            actor=SYSTEM,
            today=TODAY,
        )
        seats, setup = invoice.lines.order_by("id")
        url = f"/manage/billing/invoice/{invoice.pk}/credit-note/"
        client = client_for(world.staff["acme", "billing"], world.acme)
        assert url in client.get(f"/manage/billing/invoice/{invoice.pk}/change/").content.decode()
        base = {"reason": "One seat unused", "settlement": "credit"}
        nothing = client.post(url, base)
        assert (
            nothing.status_code == 200 and "Credit at least one line." in nothing.content.decode()
        )
        too_much = client.post(url, {**base, f"line_{seats.pk}": "4"})
        assert too_much.status_code == 200 and too_much.context["form"].errors
        done = client.post(url, {**base, f"line_{seats.pk}": "1", f"line_{setup.pk}": "0"})
        assert done.status_code == 302
        note = invoice.credit_notes.get()
        assert note.gross_amount == Decimal("11.90") and note.lines.get().quantity == 1
        form = client.get(url).context["form"]
        assert form.fields[f"line_{seats.pk}"].max_value == Decimal("2")  # what is left
        assert client_for(world.staff["acme", "support"], world.acme).get(url).status_code == 403
        outsider = client_for(world.staff["globex", "owner"], world.globex)
        assert outsider.get(url).status_code == 404

    def test_support_cannot_record_payments(self, world, vat):
        from tests.conftest import client_for

        invoice = invoice_finalize(invoice=draft(world, ("x", "1", "1")), actor=SYSTEM, today=TODAY)
        client = client_for(world.staff["acme", "support"], world.acme)
        client.post(
            "/manage/billing/invoice/", {"action": "mark_paid", "_selected_action": [invoice.pk]}
        )
        invoice.refresh_from_db()
        assert invoice.status == "open" and not invoice.allocations.exists()

    def test_another_tenants_invoice_is_a_404(self, world, vat):
        from tests.conftest import client_for

        invoice = invoice_finalize(invoice=draft(world, ("x", "1", "1")), actor=SYSTEM, today=TODAY)
        client = client_for(world.staff["globex", "owner"], world.globex)
        assert client.get(f"/manage/billing/invoice/{invoice.pk}/change/").status_code == 404


def test_a_line_cannot_move_into_or_out_of_a_finalized_invoice(world, vat):
    finalized = invoice_finalize(invoice=draft(world, ("x", "1", "10")), actor=SYSTEM, today=TODAY)
    open_draft = draft(world, ("y", "1", "5"))
    with refused(), transaction.atomic():
        InvoiceLine.objects.filter(invoice=open_draft).update(invoice=finalized)
    with refused(), transaction.atomic():
        InvoiceLine.objects.filter(invoice=finalized).update(invoice=open_draft)


def seq_scans_of(cursor, table: str) -> int:
    """This transaction's sequential scans of `table` so far (nothing is flushed before commit)."""
    cursor.execute("SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = %s", [table])
    return cursor.fetchone()[0]


def test_a_line_finds_its_invoice_by_index_however_small_the_table(world, vat):
    """The frozen-line trigger looks its invoice up once per line written, with a plan it keeps
    until something invalidates it. Planned over a table the statistics call tiny, that plan
    would read the whole table for every line while a billing run grows it to millions
    (billing migration 0035)."""
    if connection.vendor != "postgresql":
        pytest.skip("the trigger's plan is PostgreSQL's (CI runs this)")
    invoice = draft(world)
    with connection.cursor() as cursor:
        # Statistics of a table of one invoice (ANALYZE also drops the plans cached on it, so
        # the trigger plans afresh), and pages made free to read: a sequential scan is then
        # the cheaper plan, however much dead space earlier tests left in the table's file.
        cursor.execute("ANALYZE billing_invoice")
        cursor.execute("SET LOCAL seq_page_cost = 0")
        before = seq_scans_of(cursor, "billing_invoice")
        # Lines created directly, not through invoice_add_line: the service's own
        # select_for_update of the one-row table would be a sequential scan counted here.
        for position in range(8):
            InvoiceLine.objects.create(
                tenant=world.acme,
                invoice=invoice,
                position=position,
                description="x",
                quantity=1,
                unit_price=1,
                tax_rate=19,
                net_amount=1,
                tax_amount=Decimal("0.19"),
                gross_amount=Decimal("1.19"),
            )
        assert seq_scans_of(cursor, "billing_invoice") == before
    assert invoice.lines.count() == 8


def test_escaped_braces_do_not_restart_numbers_each_year(world, vat):
    world.acme.invoice_number_format = "INV-{{year}}-{number:04d}"
    world.acme.save()
    first = invoice_finalize(
        invoice=draft(world, ("x", "1", "1")), actor=SYSTEM, today=date(2026, 12, 31)
    )
    second = invoice_finalize(
        invoice=draft(world, ("x", "1", "1")), actor=SYSTEM, today=date(2027, 1, 1)
    )
    assert (first.number, second.number) == ("INV-{year}-0001", "INV-{year}-0002")


def test_numbering_can_run_on_across_years(world, vat):
    world.acme.number_reset_yearly = False
    world.acme.save()
    numbers = [
        invoice_finalize(invoice=draft(world, ("x", "1", "1")), actor=SYSTEM, today=day).number
        for day in (date(2026, 12, 31), date(2027, 1, 1))
    ]
    assert numbers == ["INV-2026-000001", "INV-2027-000002"]


def test_a_new_counter_continues_after_the_numbers_already_used(world, vat):
    """Switching the yearly reset off, or the format to one without {year}, starts a new
    counter: it carries on after the invoices already issued, never repeating a number."""
    for _ in range(2):
        invoice_finalize(invoice=draft(world, ("x", "1", "1")), actor=SYSTEM, today=TODAY)
    world.acme.number_reset_yearly = False
    world.acme.save()
    third = invoice_finalize(invoice=draft(world, ("x", "1", "1")), actor=SYSTEM, today=TODAY)
    world.acme.invoice_number_format = "INV-2026-{number:06d}"
    world.acme.save()
    fourth = invoice_finalize(invoice=draft(world, ("x", "1", "1")), actor=SYSTEM, today=TODAY)
    assert (third.number, fourth.number) == ("INV-2026-000003", "INV-2026-000004")


def test_a_counter_that_would_repeat_numbers_is_refused_clearly(world, vat):
    from billing.models import NumberSequence

    invoice_finalize(invoice=draft(world, ("x", "1", "1")), actor=SYSTEM, today=TODAY)
    NumberSequence.objects.update(next_number=1)  # someone reset it by hand
    second = draft(world, ("x", "1", "1"))
    with pytest.raises(ValidationError, match="INV-2026-000001 is already used"):
        invoice_finalize(invoice=second, actor=SYSTEM, today=TODAY)
    second.refresh_from_db()
    assert second.status == "draft" and not second.number


def test_back_office_actions_date_invoices_by_the_business_day(world, vat):
    """23:30 UTC on New Year's Eve is already 2027 in Auckland: number and dates follow it."""
    from datetime import datetime

    from django.utils import timezone

    from tests.conftest import client_for

    world.acme.timezone = "Pacific/Auckland"
    world.acme.save()
    invoice = draft(world, ("x", "1", "1"))
    client = client_for(world.staff["acme", "billing"], world.acme)
    moment = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        client.post(
            "/manage/billing/invoice/", {"action": "finalize", "_selected_action": [invoice.pk]}
        )
    invoice.refresh_from_db()
    assert invoice.issue_date == date(2027, 1, 1) and invoice.number == "INV-2027-000001"


class TestBackOfficeStatusActions:
    def test_mark_sent_and_write_off(self, world, vat):
        from billing.models import InvoiceDelivery
        from tests.conftest import client_for

        invoice = invoice_finalize(invoice=draft(world, ("x", "1", "1")), actor=SYSTEM, today=TODAY)
        billing = client_for(world.staff["acme", "billing"], world.acme)
        manager = client_for(world.staff["acme", "manager"], world.acme)
        changelist = "/manage/billing/invoice/"
        billing.post(changelist, {"action": "mark_sent", "_selected_action": [invoice.pk]})
        assert InvoiceDelivery.objects.get(invoice=invoice).recipients == []
        # Writing off needs a Manager.
        billing.post(changelist, {"action": "mark_uncollectible", "_selected_action": [invoice.pk]})
        invoice.refresh_from_db()
        assert invoice.status == "open"
        manager.post(changelist, {"action": "mark_uncollectible", "_selected_action": [invoice.pk]})
        invoice.refresh_from_db()
        assert invoice.status == "uncollectible"
        assert invoice.events.filter(kind="marked_uncollectible").exists()

    def test_a_draft_cannot_be_marked_sent(self, world, vat):
        from billing.documents.emails import invoice_mark_sent

        with pytest.raises(ValidationError):
            invoice_mark_sent(
                invoice=draft(world, ("x", "1", "1")), actor=world.staff["acme", "billing"]
            )

    def test_deleting_a_draft_goes_through_the_service(self, world, vat):
        from core.models import AuditEntry
        from tests.conftest import client_for

        invoice = draft(world, ("x", "1", "1"))
        client = client_for(world.staff["acme", "billing"], world.acme)
        response = client.post(f"/manage/billing/invoice/{invoice.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
        assert not Invoice.objects.filter(pk=invoice.pk).exists()
        assert AuditEntry.objects.filter(action="invoice.draft_delete").exists()


def test_a_draft_finalized_while_its_form_was_open_gets_a_message(world, vat):
    from tests.conftest import client_for
    from tests.helpers import admin_form_data

    invoice = draft(world, ("x", "1", "1"))
    client = client_for(world.staff["acme", "billing"], world.acme)
    url = f"/manage/billing/invoice/{invoice.pk}/change/"
    data = admin_form_data(client.get(url))
    invoice_finalize(invoice=invoice, actor=SYSTEM, today=TODAY)
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "finalized meanwhile" in response.content.decode()
