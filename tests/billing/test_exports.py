"""Exporting customers, invoices and payments from the back office as CSV and XLSX: the
business's own rows only, as the list is filtered, amounts as plain decimals beside their
currency, ISO dates, and as many queries for many rows as for few."""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.http import HttpResponse
from django.test import TestCase
from openpyxl import load_workbook

from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import TaxRate
from billing.payments.services import payment_record
from contracts.services import customer_update
from core.roles import SYSTEM
from tests.conftest import client_for
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.django_db

CUSTOMERS = "/manage/contracts/customer/"
INVOICES = "/manage/billing/invoice/"
PAYMENTS = "/manage/billing/payment/"
CSV_FORMAT = {"format": "0", "resource": "0"}
XLSX_FORMAT = {"format": "1", "resource": "0"}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel("2026-03-20 10:00:00+01:00", tick=False):
        yield


def staff(world, role="support", tenant="acme"):
    return client_for(world.staff[tenant, role], getattr(world, tenant))


def export(client, url: str, data: dict) -> HttpResponse:
    """Send the export form; the worker writes the file (run here, at once, as the job the
    form starts); then download it from the job's page as the person who asked."""
    with eager_tasks_on(), TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data)
    if response.status_code != 302 or "/manage/jobs/" not in response["Location"]:
        return response
    progress = client.get(response["Location"] + "progress")
    assert progress.status_code == 200 and progress.json()["state"] == "done", progress.content
    download = client.get(progress.json()["download_url"])
    assert download.status_code == 200
    return HttpResponse(
        b"".join(download.streaming_content),
        content_type=download["Content-Type"],
        headers={"Content-Disposition": download["Content-Disposition"]},
    )


@contextmanager
def eager_tasks_on():
    from celery import current_app

    saved = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        yield
    finally:
        current_app.conf.task_always_eager = saved


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def issue(customer, amount: str, day: int = 1):
    invoice = invoice_create_draft(customer=customer, actor=SYSTEM)
    invoice_add_line(
        invoice=invoice, description="Helpdesk", unit_price=Decimal(amount), actor=SYSTEM
    )
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=date(2026, 3, day), send=False)


@pytest.fixture
def books(world):
    """Alpha: two invoices (1,190.00 and 59.50 EUR gross), the first paid; Bravo: one open.
    Globex's Charlie: one invoice, paid — never in acme's files."""
    for tenant in (world.acme, world.globex):
        TaxRate.objects.create(tenant=tenant, name="Standard", rate=Decimal("19"), is_default=True)
    big = issue(world.alpha, "1000", day=2)
    issue(world.alpha, "50", day=3)
    issue(world.bravo, "10", day=4)
    theirs = issue(world.charlie_co, "77", day=5)
    billing = world.staff["acme", "billing"]
    payment_record(
        customer=world.alpha,
        amount=Decimal("1190.00"),
        currency=big.currency,
        method="bank_transfer",
        reference="Wire 42",
        received_on=date(2026, 3, 10),
        invoices=[big],
        actor=billing,
    )
    payment_record(
        customer=world.charlie_co,
        amount=theirs.gross_amount,
        currency=theirs.currency,
        method="cash",
        reference="Theirs",
        received_on=date(2026, 3, 11),
        invoices=[theirs],
        actor=world.staff["globex", "billing"],
    )
    return big


# --- customers ---------------------------------------------------------------------------------


def test_the_customer_export_lists_the_business_customers_only(world):
    customer_update(
        customer=world.alpha,
        actor=world.staff["acme", "billing"],
        changes={"billing_country": "DE", "invoice_recipients": ["a@alpha.test", "b@alpha.test"]},
    )
    rows = rows_of(export(staff(world), CUSTOMERS + "export/", CSV_FORMAT))
    assert rows[0][:3] == ["customer number", "name", "document language"]
    by_number = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_number) == {"A-1", "B-1"}  # not globex's C-1
    alpha = by_number["A-1"]
    assert alpha["name"] == "Alpha Corp" and alpha["country"] == "DE"
    assert alpha["invoice recipients"] == "a@alpha.test, b@alpha.test"
    assert alpha["created"] == "2026-03-20" and alpha["test account"] == "0"


def test_the_customer_export_follows_the_list_filters_and_search(world):
    client = staff(world)
    bravo = rows_of(export(client, CUSTOMERS + "export/?q=Bravo", CSV_FORMAT))
    assert [r[0] for r in bravo[1:]] == ["B-1"]
    filtered = export(client, CUSTOMERS + "export/?is_test_account__exact=1", CSV_FORMAT)
    assert rows_of(filtered)[1:] == []


# --- invoices ----------------------------------------------------------------------------------


def test_the_invoice_export_has_plain_amounts_with_their_currency_and_iso_dates(world, books):
    client = staff(world)
    client.cookies["django_language"] = "de"  # headings in German, numbers never "1.190,00"
    rows = rows_of(export(client, INVOICES + "export/", CSV_FORMAT))
    assert rows[0][:4] == ["Nummer", "Kundennummer", "Kunde", "Status"]
    assert len(rows) == 4  # acme's three invoices, not globex's
    big = next(r for r in rows[1:] if r[0] == books.number)
    assert big[1:3] == ["A-1", "Alpha Corp"]
    assert big[4:12] == [
        "2026-03-02",
        books.due_date.isoformat(),
        "EUR",
        "1000.00",
        "190.00",
        "1190.00",
        "1190.00",
        "0.00",
    ]
    assert {r[1] for r in rows[1:]} == {"A-1", "B-1"}


def test_the_invoice_export_follows_the_filters(world, books):
    client = staff(world)
    paid = rows_of(export(client, INVOICES + "export/?status__exact=paid", CSV_FORMAT))
    assert [r[0] for r in paid[1:]] == [books.number]
    bravo = rows_of(export(client, INVOICES + "export/?q=Bravo", CSV_FORMAT))
    assert [r[1] for r in bravo[1:]] == ["B-1"]


def test_the_invoice_export_opens_as_a_workbook_with_numbers_and_dates(world, books):
    response = export(staff(world), INVOICES + "export/", XLSX_FORMAT)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert len(values) == 4
    big = next(v for v in values[1:] if v[0] == books.number)
    assert big[6] == "EUR" and big[9] == 1190  # a number cell, not text
    assert big[4].date() == date(2026, 3, 2)  # a date cell


def test_the_invoice_export_takes_the_same_queries_however_many_invoices(world, books):
    client = staff(world)
    export(client, INVOICES + "export/", CSV_FORMAT)  # warm the session and the content types
    with assert_max_queries(100) as few:
        export(client, INVOICES + "export/", CSV_FORMAT)
    for day in range(6, 12):
        issue(world.bravo, "5", day=day)
    with assert_max_queries(len(few.captured_queries)):
        assert len(rows_of(export(client, INVOICES + "export/", CSV_FORMAT))) == 10


# --- payments ----------------------------------------------------------------------------------


def test_the_payment_list_and_export_show_the_business_payments(world, books):
    client = staff(world)
    page = client.get(PAYMENTS)
    assert page.status_code == 200
    assert [p.reference for p in page.context["cl"].result_list] == ["Wire 42"]
    rows = rows_of(export(client, PAYMENTS + "export/", CSV_FORMAT))
    assert rows[0] == [
        "received on",
        "customer number",
        "customer",
        "amount",
        "currency",
        "method",
        "reference",
        "receipt",
        "invoices",
    ]
    (only,) = rows[1:]
    assert only[:7] == [
        "2026-03-10",
        "A-1",
        "Alpha Corp",
        "1190.00",
        "EUR",
        "Bank transfer",
        "Wire 42",
    ]
    assert only[7] and only[8] == books.number


def test_the_payment_export_follows_the_filters_and_opens_as_a_workbook(world, books):
    client = staff(world)
    none = rows_of(export(client, PAYMENTS + "export/?method__exact=cash", CSV_FORMAT))
    assert none[1:] == []  # globex's cash payment is not acme's
    book = load_workbook(io.BytesIO(export(client, PAYMENTS + "export/", XLSX_FORMAT).content))
    assert len(list(book.active.values)) == 2


def test_a_payment_opens_read_only_and_another_business_gets_404(world, books):
    from billing.payments.models import Payment

    ours = Payment.objects.get(reference="Wire 42")
    theirs = Payment.objects.get(reference="Theirs")
    page = staff(world, "owner").get(f"{PAYMENTS}{ours.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert staff(world, "owner").get(f"{PAYMENTS}{theirs.pk}/change/").status_code == 404


def test_the_payment_export_takes_the_same_queries_however_many_payments(world, books):
    client = staff(world)
    export(client, PAYMENTS + "export/", CSV_FORMAT)
    with assert_max_queries(100) as few:
        export(client, PAYMENTS + "export/", CSV_FORMAT)
    for day in range(12, 18):
        invoice = issue(world.bravo, "5", day=day)
        payment_record(
            customer=world.bravo,
            amount=invoice.gross_amount,
            currency="EUR",
            method="cash",
            reference=f"Cash {day}",
            received_on=date(2026, 3, day),
            invoices=[invoice],
            actor=world.staff["acme", "billing"],
        )
    with assert_max_queries(len(few.captured_queries)):
        assert len(rows_of(export(client, PAYMENTS + "export/", CSV_FORMAT))) == 8


# --- who may export ----------------------------------------------------------------------------


@pytest.mark.parametrize("base", [CUSTOMERS, INVOICES, PAYMENTS])
def test_every_role_that_may_view_the_list_may_export_it(world, books, base):
    assert export(staff(world, "support"), base + "export/", CSV_FORMAT).status_code == 200
    assert "export/" in staff(world, "support").get(base).content.decode()


@pytest.mark.parametrize("base", [CUSTOMERS, INVOICES, PAYMENTS])
def test_people_who_are_not_the_business_staff_may_not_export(world, books, base):
    for user, tenant in ((world.alice, world.acme), (world.staff["globex", "owner"], world.acme)):
        response = export(client_for(user, tenant), base + "export/", CSV_FORMAT)
        assert response.status_code in (302, 403)
        assert b"Alpha Corp" not in response.content


def test_export_follows_the_role_matrix(world, monkeypatch):
    """A role the matrix does not let view customers may not export them either."""
    from core import roles

    monkeypatch.setitem(roles.STAFF_ACTIONS, "customer.view", roles.StaffRole.MANAGER)
    assert export(staff(world, "support"), CUSTOMERS + "export/", CSV_FORMAT).status_code == 403
    assert export(staff(world, "manager"), CUSTOMERS + "export/", CSV_FORMAT).status_code == 200


def test_text_a_spreadsheet_would_run_as_a_formula_is_exported_inert(world):
    world.alpha.name = '=HYPERLINK("http://evil.example","x")'
    world.alpha.save()
    world.bravo.name = "@SUM(A1)"
    world.bravo.save()
    rows = rows_of(export(staff(world), CUSTOMERS + "export/", CSV_FORMAT))
    names = {row[1] for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil.example","x")' in names and "'@SUM(A1)" in names
    assert not any(cell.startswith(("=", "@", "+")) for row in rows[1:] for cell in row)


@pytest.mark.parametrize(
    "query", ["?received_on__year=99999", "?received_on__gte=x", "?id__in=a,b"]
)
def test_a_malformed_filter_on_an_export_sends_back_to_the_list(world, query):
    response = export(staff(world), PAYMENTS + "export/" + query, CSV_FORMAT)
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
