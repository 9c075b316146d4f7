"""The portal's long lists are paged by keyset (core.paging): 50 rows a page, newest first,
"Older" and "Newer" follow each other without a gap or a repeat, a filter is kept across pages,
and a deep page costs the queries the first page costs."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Invoice, InvoiceStatus, Payment
from core.paging import PAGE_SIZE

pytestmark = pytest.mark.django_db
COUNT = 2 * PAGE_SIZE + 17
START = date(2024, 1, 1)


def _invoices(world, count: int = COUNT) -> list[int]:
    """`count` issued invoices of alpha, several a day, every third paid; ids newest first."""
    rows = []
    for n in range(count):
        issued = START + timedelta(days=n // 3)
        paid = n % 3 == 0
        rows.append(
            Invoice(
                tenant=world.acme,
                customer=world.alpha,
                status=InvoiceStatus.PAID if paid else InvoiceStatus.OPEN,
                number=f"PAGED-{n:05d}",
                currency="EUR",
                issue_date=issued,
                due_date=issued + timedelta(days=14),
                net_amount=Decimal(100),
                gross_amount=Decimal(119),
                amount_paid=Decimal(119) if paid else Decimal(0),
            )
        )
    Invoice.objects.bulk_create(rows)
    return list(
        Invoice.objects.filter(customer=world.alpha)
        .order_by("-issue_date", "-id")
        .values_list("pk", flat=True)
    )


def _shown(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/invoices/(\d+)/"', html)]


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="\?([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_invoices_come_fifty_a_page_older_and_newer_without_gap_or_repeat(world):
    expected = _invoices(world)
    client = world.client(world.alice)

    pages, query = [], ""
    while True:
        html = client.get(f"/invoices/?{query}").content.decode()
        pages.append(_shown(html))
        query = _link(html, "next")
        if query is None:
            break
    assert [len(page) for page in pages] == [PAGE_SIZE, PAGE_SIZE, COUNT - 2 * PAGE_SIZE]
    assert [pk for page in pages for pk in page] == expected
    assert 'rel="prev"' not in client.get("/invoices/").content.decode()

    # Back from the last page by "Newer".
    back = _link(html, "prev")
    html = client.get(f"/invoices/?{back}").content.decode()
    assert _shown(html) == pages[1]


def test_a_filter_is_kept_across_pages(world):
    _invoices(world, 3 * PAGE_SIZE + 10)  # every third paid: more than a page of them
    paid = list(
        Invoice.objects.filter(customer=world.alpha, status=InvoiceStatus.PAID)
        .order_by("-issue_date", "-id")
        .values_list("pk", flat=True)
    )
    client = world.client(world.alice)
    first = client.get("/invoices/?show=paid").content.decode()
    query = _link(first, "next")
    assert query.startswith("show=paid&after=")
    second = client.get(f"/invoices/?{query}").content.decode()
    assert _shown(first) + _shown(second) == paid


@pytest.mark.usefixtures("no_page_cache")
def test_a_deep_page_costs_what_the_first_costs(world):
    _invoices(world)
    client = world.client(world.alice)
    client.get("/invoices/")  # warm the session and the tenant
    with CaptureQueriesContext(connection) as first:
        html = client.get("/invoices/").content.decode()
    deep = _link(client.get(f"/invoices/?{_link(html, 'next')}").content.decode(), "next")
    with CaptureQueriesContext(connection) as last:
        client.get(f"/invoices/?{deep}")
    assert len(last) == len(first)
    assert not [q for q in last.captured_queries if "OFFSET" in q["sql"].upper()]


@pytest.mark.parametrize("cursor", ["junk", "2026-02-30~1", "9" * 300, "2026-01-01~1e9", "\x00"])
def test_a_cursor_that_cannot_be_read_shows_the_first_page(world, cursor):
    expected = _invoices(world, 60)
    client = world.client(world.alice)
    for name in ("after", "before"):
        response = client.get("/invoices/", {name: cursor})
        assert response.status_code in (200, 400)  # a NUL byte is refused before the view
        if response.status_code == 200:
            assert _shown(response.content.decode()) == expected[:PAGE_SIZE]


def test_another_customers_cursor_shows_only_ones_own(world):
    _invoices(world)
    theirs = Invoice.objects.filter(customer=world.alpha).order_by("-issue_date", "-id")[3]
    html = (
        world.client(world.bob)
        .get(f"/invoices/?after={theirs.issue_date.isoformat()}~{theirs.pk}")
        .content.decode()
    )
    assert not set(_shown(html)) & set(
        Invoice.objects.filter(customer=world.alpha).values_list("pk", flat=True)
    )


def test_payments_come_fifty_a_page(world):
    Payment.objects.bulk_create(
        [
            Payment(
                tenant=world.acme,
                customer=world.alpha,
                amount=Decimal(n + 1),
                currency="EUR",
                received_on=START + timedelta(days=n // 2),
                reference=f"Transfer {n}",
            )
            for n in range(PAGE_SIZE + 5)
        ]
    )
    expected = [
        f"Transfer {n}"
        for n in Payment.objects.filter(customer=world.alpha)
        .order_by("-received_on", "-id")
        .values_list("reference", flat=True)
        .iterator()
        for n in [int(n.split()[1])]
    ]
    client = world.client(world.alice)
    first = client.get("/payments/").content.decode()
    second = client.get(f"/payments/?{_link(first, 'next')}").content.decode()
    shown = re.findall(r">(Transfer \d+)<", first) + re.findall(r">(Transfer \d+)<", second)
    assert shown == expected
    assert _link(second, "next") is None and _link(second, "prev")


def _credit_notes(world, count: int = COUNT) -> list[int]:
    """`count` credit notes of alpha on one of its invoices, several a day; ids newest first."""
    from billing.models import CreditNote

    invoice = Invoice.objects.get(pk=_invoices(world, 1)[0])
    CreditNote.objects.bulk_create(
        CreditNote(
            tenant=world.acme,
            customer=world.alpha,
            invoice=invoice,
            number=f"CN-PAGED-{n:05d}",
            issue_date=START + timedelta(days=n // 3),
            currency="EUR",
            reason="Paged",
            net_amount=Decimal(1),
            tax_amount=Decimal("0.19"),
            gross_amount=Decimal("1.19"),
        )
        for n in range(count)
    )
    return list(
        CreditNote.objects.filter(customer=world.alpha)
        .order_by("-issue_date", "-id")
        .values_list("pk", flat=True)
    )


def _notes_shown(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/invoices/credit-notes/(\d+)/pdf"', html)]


@pytest.mark.parametrize("path", ["/invoices/?show=paid", "/credits/"])
def test_credit_notes_are_paged_apart_from_the_invoices(world, path):
    expected = _credit_notes(world)
    client = world.client(world.alice)
    html = client.get(path).content.decode()
    seen = _notes_shown(html)
    assert seen == expected[:PAGE_SIZE]
    pages = 1
    while (link := re.search(r'href="\?([^"]*credit_after=[^"]+)"', html)) is not None:
        query = link.group(1).replace("&amp;", "&")
        if path.startswith("/invoices/"):
            assert "show=paid" in query  # the invoices' filter is kept
        html = client.get(f"{path.split('?')[0]}?{query}").content.decode()
        seen += _notes_shown(html)
        pages += 1
    assert seen == expected and pages == 3
