"""Portal pages from the cache (core.page_cache): never stale after a write, whoever writes and
however; never one person's page, or token, served to another."""

from __future__ import annotations

import difflib
import re
import threading
from datetime import date

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from billing.models import Invoice
from billing.run.services import billing_run
from contracts.models import Contact, Customer
from contracts.services import legal_document_publish
from core.models import StaffMembership, Tenant
from core.page_cache import CSRF_PLACEHOLDER
from core.page_versions import (
    PLATFORM_KEY,
    business_scope,
    customer_scope,
    pages_changed,
    tenant_key,
)
from core.roles import SYSTEM
from portal.demo import seed_demo
from quotes.models import Quote
from subscriptions.models import Order, Subscription
from tests.conftest import client_for
from tests.factories import ContactFactory

TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
# What a page served from the cache costs: the business (which tests do not keep in-process)
# and the person (the session's user), nothing else: their accounts and the versions come from
# the cache (contracts.access._page_from_cache).
HIT_QUERIES = 2


def _page(response) -> tuple[int, bytes]:
    return response.status_code, TOKEN.sub(b"TOKEN", response.content)


def pages(*, invoice: int, subscription: int, order: int, quote: int) -> list[str]:
    """Every cached portal page, with the given objects."""
    return [
        "/",
        "/invoices/",
        "/invoices/?show=unpaid",
        "/invoices/?show=paid",
        f"/invoices/{invoice}/",
        "/payments/",
        "/subscriptions/",
        f"/subscriptions/{subscription}/",
        "/credits/",
        "/contract/",
        "/orders/",
        f"/orders/{order}/",
        "/quotes/",
        f"/quotes/{quote}/",
        "/payment-methods/",
    ]


def _diff(shown: tuple[int, bytes], fresh: tuple[int, bytes]) -> str:
    lines = [page[1].decode().splitlines() for page in (shown, fresh)]
    diff = difflib.unified_diff(*lines, "served", "fresh", lineterm="", n=1)
    return f"status {shown[0]} against {fresh[0]}\n" + "\n".join(list(diff)[:40])


class Demo:
    """acme's customer1 (every kind of object a page shows), logged in."""

    def __init__(self) -> None:
        seed_demo(nestpay_simulator="")
        self.contact = Contact.objects.select_related("customer__tenant", "user").get(
            user__email="customer1@acme.test", customer__tenant__slug="acme"
        )
        self.customer = self.contact.customer
        self.tenant = self.customer.tenant
        self.client = client_for(self.contact.user, self.tenant)
        mine = {"customer": self.customer}
        self.invoice = Invoice.objects.filter(**mine).exclude(number="").latest("pk")
        self.subscription = Subscription.objects.filter(**mine, status="active").first()
        self.paths = pages(
            invoice=self.invoice.pk,
            subscription=self.subscription.pk,
            order=Order.objects.filter(**mine).first().pk,
            quote=Quote.objects.filter(**mine).first().pk,
        )

    def fresh(self, path: str, settings) -> tuple[int, bytes]:
        """The page rendered now, without the cache."""
        settings.KONTOR_PAGE_CACHE_SECONDS = 0
        try:
            return _page(self.client.get(path))
        finally:
            settings.KONTOR_PAGE_CACHE_SECONDS = 600


@pytest.fixture
def demo(db, settings) -> Demo:
    settings.KONTOR_PAGE_CACHE_SECONDS = 600
    return Demo()


def _cached_views(resolver: URLResolver) -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            names |= _cached_views(pattern)
        elif isinstance(pattern, URLPattern) and getattr(pattern.callback, "page_cached", False):
            names.add(pattern.name)
    return names


def test_every_cached_page_is_read_back_by_these_tests():
    """A page newly put in the cache is added to `pages`, and so to the write-then-read test
    below."""
    paths = pages(invoice=1, subscription=1, order=1, quote=1)
    covered = {resolve(path.split("?")[0]).url_name for path in paths}
    cached = _cached_views(get_resolver())
    assert cached, "no page is cached: the guard would check nothing"
    assert cached <= covered, f"cached pages no test reads back: {cached - covered}"


def test_a_page_read_again_comes_from_the_cache(demo):
    for path in demo.paths:
        first = demo.client.get(path)
        assert first.status_code == 200, path
        with CaptureQueriesContext(connection) as again:
            second = demo.client.get(path)
        assert _page(second) == _page(first), path
        assert len(again) <= HIT_QUERIES, (path, [q["sql"][:80] for q in again])
        assert not [q for q in again if "billing_invoice" in q["sql"]], path


def _writes(demo: Demo) -> list[tuple[str, object, list[str]]]:
    """(what happens, how, the pages it must change) — through the real paths, each with the
    scope of its own: the back office (the business's), the portal (the customer's), a task or
    a command (the platform's), the run's COPY, a queryset update."""
    billing = StaffMembership.objects.filter(tenant=demo.tenant, role="billing").first().user
    back_office = client_for(billing, demo.tenant)

    def transfer_in_the_back_office():
        url = f"/manage/contracts/customer/{demo.customer.pk}/payment/"
        offered = re.search(rb'name="invoices" value="(\d+)"', back_office.get(url).content)
        open_invoice = Invoice.objects.get(pk=int(offered.group(1)))
        response = back_office.post(
            url,
            {
                "amount": str(open_invoice.gross_amount),
                "received_on": date.today().isoformat(),
                "method": "bank_transfer",
                "reference": "Cache test",
                "invoices": [open_invoice.pk],
            },
        )
        assert response.status_code == 302, re.findall(rb"errorlist.{0,300}", response.content)

    def contract_edit_in_the_portal():
        response = demo.client.post(
            "/contract/edit/",
            {
                "billing_company": "Northwind Cached Ltd",
                "billing_street": "9 Cache Lane",
                "billing_street_2": "",
                "billing_postal_code": "10115",
                "billing_city": "Berlin",
                "billing_country": "DE",
                "po_number": "PO-CACHE-1",
                "invoice_recipients": "ap@northwind.test",
                "document_delivery": "link",
            },
        )
        assert response.status_code == 302, response.content[-2000:]

    def cancel_in_the_portal():
        response = demo.client.post(
            f"/subscriptions/{demo.subscription.pk}/cancel/",
            {"reason": "Cache test", "confirm": "on"},
        )
        assert response.status_code == 302, response.content[-2000:]

    def billing_run_ahead():
        due = (
            Subscription.objects.filter(customer=demo.customer, status="active")
            .exclude(next_invoice_on=None)
            .order_by("next_invoice_on")
            .first()
            .next_invoice_on
        )
        assert billing_run(today=due, tenant=demo.tenant).invoices > 0

    def rename_by_a_queryset_update():
        Customer.objects.filter(pk=demo.customer.pk).update(name="Northwind Renamed")

    def person_renamed():
        user = demo.contact.user
        user.full_name = "Northwind Renamed Owner"
        user.save()

    def business_renamed():
        Tenant.objects.filter(pk=demo.tenant.pk).update(legal_name="Acme Renamed GmbH")

    def new_terms():
        legal_document_publish(
            tenant=demo.tenant,
            kind="terms",
            version="cache-2",
            title="Terms",
            body="New terms.",
            actor=SYSTEM,
        )

    every = demo.paths
    return [
        ("billing staff record a transfer", transfer_in_the_back_office, ["/payments/"]),
        ("the customer edits its contract data", contract_edit_in_the_portal, ["/contract/"]),
        (
            "the customer cancels a subscription",
            cancel_in_the_portal,
            ["/subscriptions/", f"/subscriptions/{demo.subscription.pk}/"],
        ),
        ("the billing run issues invoices", billing_run_ahead, ["/invoices/"]),
        ("a queryset update renames the customer", rename_by_a_queryset_update, every),
        ("the person renames themselves", person_renamed, every),
        ("the business changes its legal name", business_renamed, every),
        ("the business publishes new terms", new_terms, every),
    ]


def test_every_cached_page_shows_every_write_at_once(demo, settings):
    for what, write, changes in _writes(demo):
        before = {}
        for path in demo.paths:
            before[path] = _page(demo.client.get(path))
            assert _page(demo.client.get(path)) == before[path]  # now from the cache
        write()
        demo.client.get("/contract/edit/")  # shows (and so uses up) the write's own message
        for path in demo.paths:
            shown = _page(demo.client.get(path))
            fresh = demo.fresh(path, settings)
            assert shown == fresh, f"{path} is stale after: {what}\n" + _diff(shown, fresh)
            if path in changes:
                assert shown != before[path], f"{path} did not change after: {what}"


def test_another_customers_write_leaves_these_pages_in_the_cache(demo):
    """A customer's own writes bump its own version only: the business's other customers'
    pages stay in the cache."""
    theirs = (
        Subscription.objects.filter(tenant=demo.tenant, status="active")
        .exclude(customer=demo.customer)
        .first()
    )
    owner = Contact.objects.filter(customer=theirs.customer, role="owner").first().user
    demo.client.get("/contract/")
    response = client_for(owner, demo.tenant).post(
        f"/subscriptions/{theirs.pk}/cancel/", {"reason": "Cache test", "confirm": "on"}
    )
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.ends_on is not None or theirs.status != "active"  # it was written
    with CaptureQueriesContext(connection) as again:
        assert demo.client.get("/contract/").status_code == 200
    assert len(again) <= HIT_QUERIES


def test_a_cached_page_carries_each_readers_own_token(demo):
    """The page in the cache holds no token; each reader's copy has their own, and it works
    for them (a client that checks CSRF, as a browser's request is checked)."""
    readers = [client_for(demo.contact.user, demo.tenant) for _ in range(2)]
    for reader in readers:
        reader.handler.enforce_csrf_checks = True
    secrets = set()
    for reader in readers:
        for _ in range(2):  # the second read is from the cache
            page = reader.get("/invoices/").content
            assert CSRF_PLACEHOLDER.encode() not in page
            token = TOKEN.search(page).group(0).split(b'value="')[1].rstrip(b'"').decode()
            response = reader.post(
                "/i18n/setlang/",
                {"language": "en", "next": "/invoices/", "csrfmiddlewaretoken": token},
            )
            assert response.status_code == 302
        secrets.add(reader.cookies["csrftoken"].value)
    assert len(secrets) == 2  # two browsers, two secrets: nobody was handed the other's


def test_a_page_with_a_message_is_not_cached_and_the_message_shows_once(demo):
    demo.client.post(
        f"/subscriptions/{demo.subscription.pk}/cancel/", {"reason": "x", "confirm": "on"}
    )
    shown = demo.client.get(f"/subscriptions/{demo.subscription.pk}/").content.decode()
    assert 'class="messages"' in shown
    again = demo.client.get(f"/subscriptions/{demo.subscription.pk}/").content.decode()
    assert 'class="messages"' not in again


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("after_a_rolled_back_savepoint", [False, True])
def test_a_page_read_while_a_write_is_uncommitted_is_fresh_once_it_commits(
    world, settings, after_a_rolled_back_savepoint
):
    """The reader renders the data from before the write and stores it under the version the
    write's statement set; only the bump after commit makes the next read miss. A savepoint
    rolled back first drops its own after-commit bump, and the write after it registers one."""
    if connection.vendor != "postgresql":
        pytest.skip("two connections at once, one of them waiting in a transaction: PostgreSQL")
    settings.KONTOR_PAGE_CACHE_SECONDS = 600
    client = world.client(world.alice)
    assert b"PO-RACE" not in client.get("/contract/").content
    written, go_on = threading.Event(), threading.Event()

    def writer() -> None:
        try:
            with transaction.atomic():
                if after_a_rolled_back_savepoint:
                    try:
                        with transaction.atomic():
                            Customer.objects.filter(pk=world.alpha.pk).update(po_number="PO-X")
                            raise RuntimeError
                    except RuntimeError:
                        pass
                Customer.objects.filter(pk=world.alpha.pk).update(po_number="PO-RACE")
                written.set()
                assert go_on.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert written.wait(30)
        assert b"PO-RACE" not in client.get("/contract/").content  # not committed yet
    finally:
        go_on.set()
        thread.join(30)
    assert b"PO-RACE" in client.get("/contract/").content


def test_an_evicted_version_never_brings_an_old_page_back(world, settings):
    settings.KONTOR_PAGE_CACHE_SECONDS = 600
    client = world.client(world.alice)
    client.get("/contract/")
    Customer.objects.filter(pk=world.alpha.pk).update(po_number="PO-EVICTED")
    # As if Redis dropped the versions that write set, and not the page read before it.
    cache.delete_many([PLATFORM_KEY, tenant_key(world.acme.pk)])
    assert b"PO-EVICTED" in client.get("/contract/").content


def test_pages_changed_bumps_the_platforms_version_outside_requests(db):
    before = cache.get(PLATFORM_KEY)
    pages_changed()
    assert cache.get(PLATFORM_KEY) != before


def test_an_account_given_in_another_customers_portal_shows_at_once(world, settings):
    """The accounts a person may switch to are kept in the cache with the business's version
    (contracts.access): a contact written in another customer's portal bumps the business's,
    not only that customer's, or the switch would go on missing it."""
    settings.KONTOR_PAGE_CACHE_SECONDS = 600
    client = world.client(world.alice)
    for _ in range(2):
        assert b"Bravo Corp" not in client.get("/invoices/").content
    with customer_scope(world.acme.pk, world.bravo.pk):  # as bravo's owner's request writes
        ContactFactory(customer=world.bravo, user=world.alice)
    assert b"Bravo Corp" in client.get("/invoices/").content


@pytest.fixture
def cached(settings):
    settings.KONTOR_PAGE_CACHE_SECONDS = 600


@pytest.mark.usefixtures("cached")
def test_another_customer_asking_for_a_cached_page_gets_a_404_or_their_own(world):
    from billing.documents.services import invoice_finalize
    from tests.billing.test_invoices import draft

    invoice = invoice_finalize(
        invoice=draft(world, ("Alpha only", "1", "100")), actor=SYSTEM, today=date(2026, 4, 1)
    )
    number = invoice.number.encode()
    alice, bob = world.client(world.alice), world.client(world.bob)
    for _ in range(2):  # the second read is from the cache
        assert number in alice.get(f"/invoices/{invoice.pk}/").content
        assert number in alice.get("/invoices/").content
    assert bob.get(f"/invoices/{invoice.pk}/").status_code == 404
    mine = bob.get("/invoices/").content
    assert number not in mine and b"Bravo Corp" in mine


@pytest.mark.usefixtures("cached")
def test_a_person_renamed_at_another_business_shows_at_once_at_this_one(world):
    """People are shared by businesses: a write to them bumps the platform's version, so a
    page of another business that names them does not lag."""
    carol = ContactFactory(customer=world.alpha, user__full_name="Carol Before").user
    ContactFactory(customer=world.charlie_co, user=carol)
    alice = world.client(world.alice)
    for _ in range(2):
        assert b"Carol Before" in alice.get("/contract/").content
    with business_scope(world.globex.pk):  # as her account page on globex's host writes
        type(carol).objects.filter(pk=carol.pk).update(full_name="Carol After")
    assert b"Carol After" in alice.get("/contract/").content


@pytest.mark.usefixtures("cached")
def test_a_query_the_pages_do_not_read_is_not_cached(world):
    client = world.client(world.alice)
    client.get("/invoices/?utm=1")
    with CaptureQueriesContext(connection) as again:
        client.get("/invoices/?utm=1")
    assert len(again) > HIT_QUERIES


@pytest.mark.usefixtures("cached")
def test_the_placeholders_letters_in_a_customers_data_are_left_alone(world):
    Customer.objects.filter(pk=world.alpha.pk).update(po_number=CSRF_PLACEHOLDER)
    client = world.client(world.alice)
    for _ in range(2):
        page = client.get("/contract/").content
        assert CSRF_PLACEHOLDER.encode() in page  # the PO number, as written
        assert TOKEN.search(page) and b'value="' + CSRF_PLACEHOLDER.encode() not in page


@pytest.mark.usefixtures("cached")
def test_a_page_cached_yesterday_is_not_served_today(world):
    client = world.client(world.alice)
    with time_machine.travel("2026-06-01 12:00:00+00:00", tick=False):
        client.get("/invoices/")
        with CaptureQueriesContext(connection) as same_day:
            client.get("/invoices/")
    with (
        time_machine.travel("2026-06-02 12:00:00+00:00", tick=False),
        CaptureQueriesContext(connection) as next_day,
    ):
        client.get("/invoices/")
    assert len(same_day) <= HIT_QUERIES < len(next_day)
