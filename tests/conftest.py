"""Shared fixtures. `world` is the two-tenant setup with outsider personas that every module
touching tenant data uses:

- acme and globex, two tenants; one staff user per role in each (`world.staff["acme", "owner"]`);
- alice: owner contact of acme's customer A ("Alpha") — the one whose data is under test;
- bob: owner contact of acme's customer B ("Bravo") — same tenant, other customer;
- charlie: owner contact of globex's customer C ("Charlie") — other tenant.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from core.roles import StaffRole
from core.tenancy import tenant_cache_clear
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    StaffMembershipFactory,
    TenantFactory,
    UserFactory,
)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under CI the suite must run on PostgreSQL and Redis: refuse to pass quietly without."""
    if os.environ.get("CI") != "true":
        return
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        pytest.exit(f"CI=true but the database engine is {engine}; set DATABASE_URL", 3)
    if not settings.REDIS_URL:
        pytest.exit("CI=true but REDIS_URL is not set", 3)
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.exit(f"CI=true but Redis at {settings.REDIS_URL} is unreachable: {exc}", 3)


FUZZ_REPORTS = Path(__file__).resolve().parent.parent / "test-artifacts"
AXE_REPORT = "axe-summary.txt"  # tests/e2e/test_accessibility.py's summary, in that folder


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller: last run's fuzz reports go
        for report in FUZZ_REPORTS.glob("fuzz-*.txt"):
            report.unlink()
        (FUZZ_REPORTS / AXE_REPORT).unlink(missing_ok=True)


# The longest tests, run first: xdist hands the first tests out one by one in turn, so both
# workers start on them and fill their gaps with the short ones. Collected in path order they
# came last, and one worker walked the fuzzer's personas while the other sat idle.
LONGEST_FIRST = ("tests/test_fuzz.py::", "tests/e2e/test_accessibility.py::")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(LONGEST_FIRST))  # stable otherwise


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """The fuzzer's closing summary (tests/test_fuzz.py writes one report per persona), and the
    accessibility check's (tests/e2e/test_accessibility.py)."""
    axe = FUZZ_REPORTS / AXE_REPORT
    if axe.exists():
        terminalreporter.section("axe-core")
        terminalreporter.write_line(axe.read_text().rstrip())
    reports = sorted(FUZZ_REPORTS.glob("fuzz-*.txt"))
    if not reports:
        return
    terminalreporter.section("fuzzer")
    totals = [0, 0, 0, 0, 0]
    for report in reports:
        text = report.read_text()
        # The summary and any failures; the forms each persona reached stay in the file.
        lines = [line for line in text.splitlines() if not line.startswith("  form: ")]
        terminalreporter.write_line("\n".join(lines))
        numbers = [
            int(n)
            for n in re.findall(
                r"(\d+) (?:URLs|forms|form submissions|requests|failures)", text.splitlines()[0]
            )
        ]
        totals = [a + b for a, b in zip(totals, numbers, strict=False)]
    terminalreporter.write_line(
        f"fuzzer in all: {totals[0]} URL visits, {totals[1]} forms, {totals[2]} form submissions, "
        f"{totals[3]} requests, {totals[4]} server errors or refusals that wrote"
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = settings.DATABASES["default"]
    where = db["ENGINE"].rsplit(".", 1)[-1]
    return [
        f"kontor: database {where} ({db.get('HOST') or db.get('NAME')}), "
        f"cache {'redis' if settings.REDIS_URL else 'locmem'}, "
        f"broker {settings.CELERY_BROKER_URL.split('://')[0]}, "
        f"browser {os.environ.get('KONTOR_BROWSER') or 'none (browser tests skipped)'}"
    ]


@pytest.fixture(autouse=True)
def _fresh_tenant_cache():
    tenant_cache_clear()
    yield
    tenant_cache_clear()


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters and heartbeats must not leak from one test into the next.
    from django.core.cache import cache

    cache.clear()


def host_of(tenant) -> str:
    return f"{tenant.slug}.{settings.KONTOR_BASE_DOMAIN}"


def client_for(user, tenant) -> Client:
    """A test client logged in as `user`, talking to `tenant`'s host."""
    client = Client(HTTP_HOST=host_of(tenant))
    if user is not None:
        client.force_login(user, backend="portal.accounts.TenantAuthenticationBackend")
    return client


@dataclass
class World:
    acme: object
    globex: object
    alpha: object  # acme's customer A
    bravo: object  # acme's customer B
    charlie_co: object  # globex's customer C
    alice: object
    bob: object
    charlie: object
    staff: dict = field(default_factory=dict)

    def client(self, user, tenant=None) -> Client:
        if tenant is None:
            tenant = self.globex if user == self.charlie else self.acme
        return client_for(user, tenant)


@pytest.fixture
def world(db) -> World:
    acme = TenantFactory(
        slug="acme", name="Acme", primary_colour="#d1242f", self_registration_enabled=True
    )
    globex = TenantFactory(slug="globex", name="Globex", primary_colour="#0a7d55", locale="fr")
    alpha = CustomerFactory(tenant=acme, name="Alpha Corp", number="A-1")
    bravo = CustomerFactory(tenant=acme, name="Bravo Corp", number="B-1")
    charlie_co = CustomerFactory(tenant=globex, name="Charlie SA", number="C-1")
    alice = ContactFactory(customer=alpha, user__email="alice@example.test").user
    bob = ContactFactory(customer=bravo, user__email="bob@example.test").user
    charlie = ContactFactory(customer=charlie_co, user__email="charlie@example.test").user
    w = World(acme, globex, alpha, bravo, charlie_co, alice, bob, charlie)
    for tenant in (acme, globex):
        for role in StaffRole:
            user = UserFactory(email=f"{role.value}@{tenant.slug}.test")
            StaffMembershipFactory(tenant=tenant, user=user, role=role)
            w.staff[tenant.slug, role.value] = user
    return w


@pytest.fixture
def no_page_cache(settings):
    """Every portal page rendered, none served from the cache (core.page_cache): for the
    tests that count what rendering a page costs, reading it twice."""
    settings.KONTOR_PAGE_CACHE_SECONDS = 0


@pytest.fixture
def eager_tasks():
    """Queued Celery tasks run in-process at once, also where a broker is configured (CI)."""
    from celery import current_app

    saved = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = saved


@pytest.fixture
def flaky_smtp(monkeypatch):
    """`refuse_once(*addresses)`: the mail server refuses the next message to each of these
    addresses, once (as a greylisting or briefly unreachable server does); the rest go out."""
    import smtplib

    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages
    pending: set[str] = set()

    def send_messages(self, messages):
        for message in messages:
            for address in message.to:
                if address.lower() in pending:
                    pending.discard(address.lower())
                    raise smtplib.SMTPRecipientsRefused({address: (451, b"Try again later")})
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)

    def refuse_once(*addresses: str) -> None:
        pending.update(address.lower() for address in addresses)

    return refuse_once


@pytest.fixture
def run_tasks():
    """Runs the Celery tasks queued so far until `until()` holds. With Redis (always in CI) a
    real worker takes them from the broker — the test must then be transactional, so the worker
    (another connection) sees the rows; without Redis they already ran in-process (eager)."""
    import time

    from celery import current_app

    # A ceiling, not a wait: it returns as soon as `until()` holds. Generous, because a test
    # that seeds the demo first queues its dozens of invoice e-mails (each renders a PDF)
    # ahead of the one it waits for, on a 2-core machine that may be busy.
    def _run(until, timeout: float = 90.0) -> None:
        if current_app.conf.task_always_eager:
            assert until(), "the eager tasks did not do what was expected"
            return
        from celery.contrib.testing.worker import start_worker

        with start_worker(
            current_app._get_current_object(),
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=10,
            queues=[settings.CELERY_TASK_DEFAULT_QUEUE],
        ):
            deadline = time.monotonic() + timeout
            while not until():
                assert time.monotonic() < deadline, "the queued tasks did not finish in time"
                time.sleep(0.05)

    return _run


@pytest.fixture(autouse=True)
def _let_flush_remove_finalized_invoices(request):
    """Finalized invoices cannot be deleted (database triggers). PostgreSQL's TRUNCATE, which
    ends a transactional test, passes by them; SQLite's DELETE does not, so there the triggers
    step aside for the flush and come back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "live_server" in request.fixturenames
        or "transactional_db" in (request.fixturenames)
        or bool(marker and marker.kwargs.get("transaction"))
    )
    if transactional:
        request.getfixturevalue("transactional_db")  # set up first, so torn down after us
    yield
    from django.db import connection

    if not transactional or connection.vendor != "sqlite":
        return
    import importlib

    triggers = importlib.import_module("billing.migrations.0013_credit_note_lines_sealed")
    receipts = importlib.import_module("billing.migrations.0029_fixed_receipts_issued")
    with connection.cursor() as cursor:
        for sql in [*triggers.SQLITE_DROP, *receipts.SQLITE_DROP]:
            cursor.execute(sql)
        for table in (
            # Quotes point at the invoices they became: they go first.
            "quotes_quoterequestitem_options",
            "quotes_quoterequestitem",
            "quotes_quoterequest",
            "quotes_quotelineoption",
            "quotes_quoteline",
            "quotes_quoteevent",
            "quotes_quote_subscriptions",
            "quotes_quote",
            # Checkouts point at the invoices they issued, and at their payment links.
            "billing_checkout",
            "billing_paymentlink_tariffs",
            "billing_paymentlink_options",
            "billing_paymentlink",
            "billing_nestpayorder",  # points at its payment attempt
            "billing_dunningcase",  # points at its invoice
            "billing_paymentattempt",
            "billing_paymentallocation",
            "billing_receipt",
            "billing_payment",
            "billing_invoicedelivery",
            "billing_invoicereminder",
            "billing_customercreditentry",
            "billing_refund",  # points at its credit note
            "billing_creditnotedelivery",
            "billing_creditnoteline",
            "billing_creditnote",
            "billing_invoiceline",
            "billing_invoiceevent",
            "billing_invoice",
        ):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 — fixed table names
        for sql in [*triggers.SQLITE, *receipts.SQLITE]:
            cursor.execute(sql)


@pytest.fixture(scope="session")
def fake_stripe():
    """localstripe for this test process (one per xdist worker)."""
    from tests import stripe_fake

    running = stripe_fake.start()
    yield running
    running.process.terminate()
    running.process.wait(timeout=10)


@pytest.fixture(scope="session")
def nestpay():
    """The NestPay simulator for this test process (one per xdist worker), stopped at the end."""
    from tests import nestpay_fake

    simulator = nestpay_fake.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def nestpay_bank(nestpay):
    """The NestPay simulator with no orders and no open 3-D pages (merchants are kept)."""
    nestpay.reset()
    return nestpay


def take_cards_through(fake, tenant, settings) -> None:
    """The business takes cards through (fake) Stripe."""
    from billing.models import Gateway, PaymentSettings

    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_JS_URL = f"{fake.url}/js.stripe.com/v3/"
    PaymentSettings.objects.update_or_create(
        tenant=tenant,
        defaults={
            "gateway": Gateway.STRIPE,
            "stripe_publishable_key": "pk_test_kontor",
            "stripe_secret_key": "sk_test_kontor",
            "stripe_webhook_secret": "whsec_kontor",
        },
    )


def pay_at_bank_through(simulator, tenant, **overrides) -> None:
    """The business takes cards at its bank (isbank, test mode) through the NestPay simulator:
    the simulator's merchant, 3D Pay Hosting, TRY, 2, 3 or 6 installments from 1,000 TRY.
    `overrides` replace any of those PaymentSettings fields."""
    from decimal import Decimal

    from billing.models import PaymentSettings
    from tests.nestpay_fake import API_PASSWORD, API_USER, CLIENT_ID, STORE_KEY

    PaymentSettings.objects.update_or_create(
        tenant=tenant,
        defaults={
            "gateway": "nestpay",
            "nestpay_bank": "isbank",
            "nestpay_mode": "test",
            "nestpay_gate_url": f"{simulator.url}/fim/est3Dgate",
            "nestpay_api_url": f"{simulator.url}/fim/api",
            "nestpay_client_id": CLIENT_ID,
            "nestpay_store_key": STORE_KEY,
            "nestpay_api_user": API_USER,
            "nestpay_api_password": API_PASSWORD,
            "nestpay_store_type": "3d_pay_hosting",
            "nestpay_currencies": ["TRY"],
            "nestpay_installments": [2, 3, 6],
            "nestpay_installments_min_amount": Decimal("1000.00"),
            "nestpay_installments_min_currency": "TRY",
            **overrides,
        },
    )


@pytest.fixture
def stripe_acme(world, fake_stripe, settings):
    """acme takes cards through (fake) Stripe, emptied first; returns the fake, to act as the
    browser."""
    fake_stripe.reset()
    take_cards_through(fake_stripe, world.acme, settings)
    return fake_stripe
