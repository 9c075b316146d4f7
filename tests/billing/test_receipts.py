"""Receipts: numbered in their own gapless series when the payment is recorded, dated, with both
parties frozen, stored once by a worker after commit, served as stored, never changed."""

import importlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import Invoice, TaxRate
from billing.payments.models import Payment, Receipt
from billing.payments.services import invoice_mark_paid, payment_record
from contracts.services import customer_update
from core.roles import SYSTEM
from tests.conftest import client_for
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_march_2026():
    """Receipts are dated the day the payment is recorded: these tests record them in 2026."""
    with time_machine.travel(datetime(2026, 3, 3, 10, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def open_invoice(world):
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal("19"), is_default=True)
    invoice = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    invoice_add_line(invoice=invoice, description="Work", unit_price=Decimal(100), actor=SYSTEM)
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 1))


def pay(invoice, amount="50", received_on=date(2026, 3, 3)):
    invoice_mark_paid(
        invoice=Invoice.objects.get(pk=invoice.pk),
        actor=SYSTEM,
        amount=Decimal(amount),
        received_on=received_on,
    )
    return Payment.objects.filter(allocations__invoice=invoice).latest("id")


def text_of(content: bytes) -> str:
    return " ".join(pdf_text(content).split())


def test_each_payment_gets_the_next_receipt_number_of_its_own_series(world, open_invoice):
    first, second = pay(open_invoice, "50"), pay(open_invoice, "69")
    assert [first.receipt.number, second.receipt.number] == ["R-2026-00001", "R-2026-00002"]
    assert first.receipt.issue_date == second.receipt.issue_date
    assert first.receipt.buyer["name"] == "Alpha Corp" and first.receipt.seller["name"] == "Acme"
    # Invoices keep their own numbers: a receipt never takes one of theirs.
    invoice = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    invoice_add_line(invoice=invoice, description="More", unit_price=Decimal(1), actor=SYSTEM)
    later = invoice_finalize(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 4))
    assert (open_invoice.number, later.number) == ("INV-2026-000001", "INV-2026-000002")


def test_a_payment_rolled_back_gives_its_receipt_number_back(world, open_invoice):
    with pytest.raises(RuntimeError), transaction.atomic():
        pay(open_invoice)
        raise RuntimeError("the bank statement import failed further on")
    assert not Receipt.objects.exists()
    assert pay(open_invoice).receipt.number == "R-2026-00001"


def test_money_kept_as_credit_gets_a_receipt_too(world):
    payment = payment_record(
        customer=world.alpha,
        amount=Decimal(30),
        currency="EUR",
        method="bank_transfer",
        reference="prepaid",
        received_on=date(2026, 3, 3),
        invoices=[],
        actor=world.staff["acme", "billing"],
    )
    assert payment.receipt.number == "R-2026-00001"


def test_the_receipt_pdf_is_stored_by_a_worker_after_commit(
    world, open_invoice, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        payment = pay(open_invoice)
    receipt = Receipt.objects.get(payment=payment)
    assert not receipt.pdf
    for callback in callbacks:
        callback()
    receipt.refresh_from_db()
    assert receipt.pdf and len(receipt.pdf_sha256) == 64
    text = text_of(receipt.pdf.open("rb").read())
    assert "R-2026-00001" in text and open_invoice.number in text and "€50.00" in text


def test_the_download_serves_the_stored_receipt_in_the_customers_language(world, open_invoice):
    world.alpha.language = "fr"
    world.alpha.save()
    payment = pay(open_invoice)
    customer_update(
        customer=world.alpha,
        actor=world.staff["acme", "billing"],
        changes={"billing_street": "1 New Road"},
    )
    client = world.client(world.alice)
    response = client.get(f"/payments/{payment.pk}/receipt", HTTP_ACCEPT_LANGUAGE="de")
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="R-2026-00001.pdf"' in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    receipt = Receipt.objects.get(payment=payment)
    assert content == receipt.pdf.open("rb").read()  # the stored file, as stored
    text = text_of(content)
    assert "Reçu de paiement" in text and "R-2026-00001" in text
    assert "Zahlungsquittung" not in text and "New Road" not in text  # frozen when issued
    again = client.get(f"/payments/{payment.pk}/receipt", HTTP_ACCEPT_LANGUAGE="en")
    assert b"".join(again.streaming_content) == content
    page = client.get("/payments/").content.decode()
    assert "R-2026-00001" in page


def test_an_issued_receipt_can_neither_change_nor_go(world, open_invoice):
    receipt = pay(open_invoice).receipt
    for change in ({"number": "R-2026-99999"}, {"issue_date": date(2020, 1, 1)}, {"buyer": {}}):
        with pytest.raises(DatabaseError), transaction.atomic():
            Receipt.objects.filter(pk=receipt.pk).update(**change)
    with pytest.raises(DatabaseError), transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).delete()
    # Its PDF is set once, then never replaced.
    Receipt.objects.filter(pk=receipt.pk).update(pdf="receipts/a.pdf", pdf_sha256="a" * 64)
    with pytest.raises(DatabaseError), transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).update(pdf="receipts/b.pdf")


@pytest.mark.parametrize(
    ("receipts", "field_error"),
    [
        ("R-{year}-{number:05d}", None),
        ("INV-{year}-{number:06d}", "invoice"),  # the invoices' own format
        ("CN-{year}-{number:06d}", "credit note"),  # the credit notes' own format
        ("{number}", "invoice"),  # receipt 202600005 reads like invoice 5 of 2026
    ],
)
def test_receipt_numbers_are_checked_against_invoice_and_credit_note_formats(
    world, receipts, field_error
):
    bare = receipts == "{number}"
    world.acme.invoice_number_format = "{year}{number:05d}" if bare else "INV-{year}-{number:06d}"
    world.acme.receipt_number_format = receipts
    if field_error is None:
        world.acme.full_clean()
        return
    with pytest.raises(ValidationError) as refused:
        world.acme.full_clean()
    assert set(refused.value.message_dict) == {"receipt_number_format"}
    assert f"could equal a{'n' if field_error == 'invoice' else ''} {field_error} number" in str(
        refused.value
    )


def test_payments_from_before_receipts_are_numbered_in_order_of_payment_date(world):
    migration = importlib.import_module("billing.migrations.0029_fixed_receipts_issued")
    # Written around the services, as the rows recorded before receipts existed were.
    late, early, other_year = (
        Payment.objects.create(
            tenant=world.acme,
            customer=world.alpha,
            amount=Decimal(10),
            currency="EUR",
            received_on=day,
        )
        for day in (date(2026, 5, 2), date(2026, 1, 9), date(2025, 12, 30))
    )
    migration.issue_missing_receipts(apps, None)
    numbers = {p.pk: Receipt.objects.get(payment=p).number for p in (late, early, other_year)}
    assert numbers == {
        other_year.pk: "R-2025-00001",
        early.pk: "R-2026-00001",
        late.pk: "R-2026-00002",
    }
    assert Receipt.objects.get(payment=early).issue_date == date(2026, 1, 9)
    # The series goes on from there.
    TaxRate.objects.create(tenant=world.acme, name="Zero", rate=Decimal(0), is_default=True)
    invoice = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    invoice_add_line(invoice=invoice, description="Work", unit_price=Decimal(10), actor=SYSTEM)
    invoice = invoice_finalize(invoice=invoice, actor=SYSTEM, today=date(2026, 6, 1))
    assert pay(invoice, "10").receipt.number == "R-2026-00003"


def test_a_payment_without_a_receipt_gets_one_on_its_first_download(world):
    payment = Payment.objects.create(
        tenant=world.acme,
        customer=world.alpha,
        amount=Decimal(10),
        currency="EUR",
        received_on=date(2026, 2, 1),
    )
    response = world.client(world.alice).get(f"/payments/{payment.pk}/receipt")
    assert response.status_code == 200
    assert Receipt.objects.get(payment=payment).number.startswith("R-")
    assert world.client(world.bob).get(f"/payments/{payment.pk}/receipt").status_code == 404


def test_the_back_office_lists_receipts_of_its_own_business_only(world, open_invoice):
    receipt = pay(open_invoice).receipt
    support = client_for(world.staff["acme", "support"], world.acme)
    listing = support.get("/manage/billing/receipt/")
    assert listing.status_code == 200 and receipt.number in listing.content.decode()
    page = support.get(f"/manage/billing/receipt/{receipt.pk}/change/").content.decode()
    assert receipt.number in page and "Alpha Corp" in page
    outsider = client_for(world.staff["globex", "owner"], world.globex)
    assert receipt.number not in outsider.get("/manage/billing/receipt/").content.decode()
    assert outsider.get(f"/manage/billing/receipt/{receipt.pk}/change/").status_code in (302, 404)


def test_staff_recording_a_payment_are_told_its_receipt_number(world, open_invoice):
    staff = client_for(world.staff["acme", "billing"], world.acme)
    url = f"/manage/contracts/customer/{world.alpha.pk}/payment/"
    data = {
        "amount": "119.00",
        "received_on": "2026-03-03",
        "method": "bank_transfer",
        "reference": "Transfer",
        "invoices": [open_invoice.pk],
    }
    response = staff.post(url, data, follow=True)
    assert "Payment recorded, receipt R-2026-00001." in response.content.decode()
