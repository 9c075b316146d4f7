"""Keyset pagination: pages follow each other without a gap or a repeat, forwards and back, in
a descending order with ties on the first column; any page costs one query; junk cursors show
the first page."""

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.models import Payment
from core.paging import keyset_page
from tests.factories import CustomerFactory, TenantFactory

ORDER = ("-received_on", "-id")


def _payments(count: int, days: int) -> list[Payment]:
    tenant = TenantFactory()
    customer = CustomerFactory(tenant=tenant)
    start = date(2026, 1, 1)
    return Payment.objects.bulk_create(
        [
            Payment(
                tenant=tenant,
                customer=customer,
                amount=Decimal(n + 1),
                currency="EUR",
                # Several payments share a day: the id breaks the tie.
                received_on=start + timedelta(days=n % days),
            )
            for n in range(count)
        ]
    )


def _cursor(query: str, name: str) -> str:
    return parse_qs(query)[name][0]


def _walk_forwards(size: int) -> list[list[int]]:
    pages = []
    page = keyset_page(Payment.objects.all(), ORDER, size=size)
    pages.append([p.pk for p in page])
    while page.next_query:
        page = keyset_page(
            Payment.objects.all(), ORDER, after=_cursor(page.next_query, "after"), size=size
        )
        pages.append([p.pk for p in page])
    return pages


@pytest.mark.django_db
@settings(max_examples=15, deadline=None)
@given(count=st.integers(0, 40), days=st.integers(1, 8), size=st.integers(1, 12))
def test_pages_cover_every_row_once_in_order_forwards_and_back(count, days, size):
    Payment.objects.all().delete()
    _payments(count, days)
    expected = list(Payment.objects.order_by(*ORDER).values_list("pk", flat=True))

    pages = _walk_forwards(size)
    assert [pk for page in pages for pk in page] == expected
    assert all(len(page) == size for page in pages[:-1])

    # And back from the last page to the first, by the "before" cursors.
    page = keyset_page(
        Payment.objects.all(),
        ORDER,
        after=None,
        size=size,
    )
    forwards = [page]
    while page.next_query:
        page = keyset_page(
            Payment.objects.all(), ORDER, after=_cursor(page.next_query, "after"), size=size
        )
        forwards.append(page)
    backwards = [[p.pk for p in forwards[-1]]]
    while page.previous_query:
        page = keyset_page(
            Payment.objects.all(),
            ORDER,
            before=_cursor(page.previous_query, "before"),
            size=size,
        )
        backwards.append([p.pk for p in page])
    assert backwards[::-1] == pages


@pytest.mark.django_db
def test_the_first_page_has_no_previous_and_the_last_no_next():
    _payments(5, 2)
    page = keyset_page(Payment.objects.all(), ORDER, size=5)
    assert page.previous_query is None and page.next_query is None and not page.is_paged
    first = keyset_page(Payment.objects.all(), ORDER, size=2)
    assert first.previous_query is None and first.next_query and first.is_paged


@pytest.mark.django_db
def test_a_deep_page_costs_one_query_like_the_first(django_assert_num_queries):
    _payments(60, 5)
    deep = Payment.objects.order_by(*ORDER)[44]
    with django_assert_num_queries(1):
        first = keyset_page(Payment.objects.all(), ORDER, size=10)
        list(first)
    with django_assert_num_queries(1):
        page = keyset_page(
            Payment.objects.all(), ORDER, after=f"{deep.received_on.isoformat()}~{deep.pk}", size=10
        )
    assert [p.pk for p in page] == list(
        Payment.objects.order_by(*ORDER).values_list("pk", flat=True)[45:55]
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "junk",
        "2026-01-01",
        "2026-01-01~x",
        "2026-13-01~5",
        "0000-01-01~5",
        "2026-01-01~99999999999999999999999",
        "2026-01-01~5~6",
        "2026-01-01~\x00",
        "~" * 500,
        "2026-01-01~" + "9" * 200,
    ],
)
def test_a_cursor_that_cannot_be_read_shows_the_first_page(cursor):
    _payments(4, 2)
    first = [p.pk for p in keyset_page(Payment.objects.all(), ORDER, size=3)]
    assert [p.pk for p in keyset_page(Payment.objects.all(), ORDER, after=cursor, size=3)] == first
    assert [p.pk for p in keyset_page(Payment.objects.all(), ORDER, before=cursor, size=3)] == first


def test_an_order_that_could_tie_or_mixes_directions_is_refused():
    with pytest.raises(ValueError):
        keyset_page(Payment.objects.none(), ("-received_on",))
    with pytest.raises(ValueError):
        keyset_page(Payment.objects.none(), ("-received_on", "id"))
