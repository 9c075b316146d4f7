"""Portal pages under load at scale: requests/s, p50 and p99 per page beside /healthz, measured
by wrk against gunicorn with production settings on PostgreSQL and Redis.

    .venv/bin/python bench/portal_load.py [--customers 10000] [--months 100] [--seconds 10]
        [--keep] [--reuse] [--no-page-cache]

It creates its own PostgreSQL database (`kontor_bench_load`, from DATABASE_URL's server, default
the local one) and drops it at the end (`--keep` leaves it for a look). The seed:
- the demo (`seed_demo`): acme's customer1@acme.test has every kind of object a page shows;
- `--customers` more customers of acme, one monthly subscription each, and 20 for
  customer1's account, so that it gets 2,000 invoices at the default 100 months;
- the real billing run, once per month over `--months` months (COPY, two processes): with the
  defaults 1,000,000+ invoices with their lines and audit entries;
- payments: customer1 pays 1,500 of its invoices in 500 transfers recorded by the service, the
  other customers' invoices due before today are paid one transfer each (INSERT … SELECT).
Then VACUUM (ANALYZE), as autovacuum would have. It serves Kontor with gunicorn (2 sync
workers), logs customer1 in through the real login form (and follows it to the dashboard, as a
browser does) and drives each page with wrk (8 connections, a separate compiled process). wrk
sends one session for one page, so after its first request the page comes from the page cache
(core.page_cache), as it does for a customer who opens it again; `--no-page-cache` renders
every request instead. Each page's queries are counted with Django's test client on the same
database, rendered and from the cache, and each SELECT of the rendering is run through
EXPLAIN: a sequential scan over a large table is reported.

Prints one JSON line per page, and a summary line last. Needs `wrk` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "kontor_bench_load"
HOST = "acme.localhost"
LOGIN = ("customer1@acme.test", "kontor-demo")
# Tables whose sequential scan at this scale would be a slow page.
LARGE_TABLES = {
    "billing_invoice",
    "billing_invoiceline",
    "billing_payment",
    "billing_paymentallocation",
    "billing_invoiceevent",
    "core_auditentry",
    "contracts_customer",
    "subscriptions_subscription",
}
TARGET_RPS = 500
TARGET_P99_MS = 50.0
EXTRA_SUBSCRIPTIONS = 20  # customer1's, so that its lists are long
DEEP_PAGE = 30  # "page N" of the invoices: 1,450 invoices in, of 2,000


def _setup_env(port: int) -> str:
    source = os.environ.get("DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(source)
    data = tempfile.mkdtemp(prefix="kontor-load-")
    os.environ.update(
        {
            "DATABASE_URL": urlunsplit(parts._replace(path=f"/{DB}")),
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7"),
            # Nothing is sent: what the seed and the pages queue stays in this process.
            "CELERY_BROKER_URL": "memory://localhost/",
            "DEBUG": "false",
            "SECRET_KEY": "bench-only",
            "LOG_LEVEL": "WARNING",
            "SECURE_SSL_REDIRECT": "false",
            "KONTOR_DATA_DIR": data,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
        }
    )
    return urlunsplit(parts._replace(path="/postgres"))


def _pg(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


# --- the seed -----------------------------------------------------------------------------


def _months_back(today: date, months: int) -> date:
    from subscriptions.periods import add_months

    return add_months(today.replace(day=1), -months)


def _seed_scale(customers: int, start: date) -> tuple[int, int]:
    """acme gets `customers` more customers with a monthly subscription each, and customer1
    EXTRA_SUBSCRIPTIONS more; all start at `start`. Returns (tenant id, customer1's id)."""
    from contracts.models import Contact, Customer
    from subscriptions.models import Subscription

    contact = Contact.objects.select_related("customer__tenant").get(
        user__email=LOGIN[0], customer__tenant__slug="acme"
    )
    template = contact.customer
    tenant = template.tenant
    model = Subscription.objects.filter(customer=template).order_by("pk").first()
    assert model is not None, "customer1 has a subscription in the demo"

    skip = {"id", "number", "name", "created_at"}
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Customer._meta.concrete_fields
        if f.attname not in skip
    }
    created = Customer.objects.bulk_create(
        [
            Customer(**{**fields, "number": f"LOAD-{n:06d}", "name": f"Load customer {n}"})
            for n in range(customers)
        ],
        batch_size=5000,
    )
    sub_fields = {
        "tenant_id": tenant.pk,
        "tariff_id": model.tariff_id,
        "started_on": start,
        "anchor_on": start,
        "next_invoice_on": start,
        "currency": model.currency,
        "price_items": model.price_items,
        "interval_months": 1,
        "minimum_term_months": 0,
        "notice_period_days": 30,
        "change_notice_days": 0,
    }
    owners = [*created, *([template] * EXTRA_SUBSCRIPTIONS)]
    Subscription.objects.bulk_create(
        [Subscription(customer=c, **sub_fields) for c in owners], batch_size=5000
    )
    return tenant.pk, template.pk


def _run_month(args: tuple[int, str]) -> int:
    import django

    django.setup()
    from billing.run.services import billing_run
    from core.models import Tenant

    tenant_id, day = args
    return billing_run(
        today=date.fromisoformat(day), tenant=Tenant.objects.get(pk=tenant_id), batch_size=1000
    ).invoices


def _bill_every_month(tenant_id: int, start: date, months: int) -> int:
    from django.db import connections

    from subscriptions.periods import add_months

    connections.close_all()
    issued = 0
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for m in range(months):
            day = add_months(start, m).isoformat()
            issued += sum(pool.map(_run_month, [(tenant_id, day)] * 2))
    return issued


def _pay(tenant_id: int, customer_id: int, today: date) -> int:
    """customer1: 500 transfers of three invoices each, through the service. The others: every
    invoice due before today paid by its own transfer, in two statements."""
    from django.db import connection

    from billing.models import Invoice, InvoiceStatus
    from contracts.models import Customer
    from core.models import StaffMembership

    customer = Customer.objects.select_related("tenant").get(pk=customer_id)
    owner = StaffMembership.objects.filter(tenant_id=tenant_id, role="owner").first().user
    from billing.payments.services import payment_record

    oldest = list(
        Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN)
        .order_by("due_date", "id")
        .only("id", "gross_amount", "currency")[:1500]
    )
    for n in range(0, len(oldest), 3):
        group = oldest[n : n + 3]
        payment_record(
            customer=customer,
            amount=sum((i.gross_amount for i in group), Decimal(0)),
            currency=group[0].currency,
            method="bank_transfer",
            reference=f"Transfer {n // 3 + 1}",
            received_on=today,
            invoices=group,
            actor=owner,
        )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH due AS (
                SELECT id, customer_id, gross_amount, currency, due_date
                FROM billing_invoice
                WHERE tenant_id = %(tenant)s AND customer_id <> %(customer)s
                  AND status = 'open' AND due_date < %(today)s
            ), paid AS (
                INSERT INTO billing_payment
                    (tenant_id, customer_id, amount, currency, received_on, method, reference,
                     created_at)
                SELECT %(tenant)s, customer_id, gross_amount, currency, due_date,
                       'bank_transfer', 'load:' || id, now()
                FROM due
                RETURNING id, reference
            )
            INSERT INTO billing_paymentallocation (tenant_id, payment_id, invoice_id, amount)
            SELECT %(tenant)s, paid.id, due.id, due.gross_amount
            FROM paid JOIN due ON paid.reference = 'load:' || due.id
            """,
            {"tenant": tenant_id, "customer": customer_id, "today": today},
        )
        cursor.execute(
            """
            UPDATE billing_invoice
            SET status = 'paid', amount_paid = gross_amount, paid_at = due_date::timestamptz
            WHERE tenant_id = %(tenant)s AND customer_id <> %(customer)s
              AND status = 'open' AND due_date < %(today)s
            """,
            {"tenant": tenant_id, "customer": customer_id, "today": today},
        )
        cursor.execute("ANALYZE")
    return len(oldest) // 3


def _seed(customers: int, months: int) -> dict:
    from django.core.management import call_command
    from django.utils import timezone

    call_command("seed_demo", nestpay_simulator="", stdout=open(os.devnull, "w"))  # noqa: SIM115
    today = timezone.localdate()
    start = _months_back(today, months - 1)
    began = time.perf_counter()
    tenant_id, customer_id = _seed_scale(customers, start)
    issued = _bill_every_month(tenant_id, start, months)
    transfers = _pay(tenant_id, customer_id, today)
    # What autovacuum does on a server that runs it (ours here runs with it off): without it
    # the run's and the payments' million updated rows stay dead in the tables and their
    # indexes, and the planner knows nothing of the tables' sizes.
    _pg(os.environ["DATABASE_URL"], "VACUUM (ANALYZE)")
    return {
        "seed": _counts(tenant_id, customer_id),
        "invoices_issued_by_the_run": issued,
        "customer1_transfers": transfers,
        "seed_seconds": round(time.perf_counter() - began),
        "ids": (tenant_id, customer_id),
    }


def _customer1() -> tuple[int, int]:
    from contracts.models import Contact

    contact = Contact.objects.select_related("customer").get(user__email=LOGIN[0])
    return contact.customer.tenant_id, contact.customer_id


def _counts(tenant_id: int, customer_id: int) -> dict:
    from billing.models import Invoice, InvoiceLine, Payment
    from contracts.models import Customer
    from subscriptions.models import Subscription

    return {
        "customers": Customer.objects.filter(tenant_id=tenant_id).count(),
        "subscriptions": Subscription.objects.filter(tenant_id=tenant_id).count(),
        "invoices": Invoice.objects.count(),
        "invoice_lines": InvoiceLine.objects.count(),
        "payments": Payment.objects.count(),
        "customer1_invoices": Invoice.objects.filter(customer_id=customer_id).count(),
        "customer1_payments": Payment.objects.filter(customer_id=customer_id).count(),
    }


# --- the pages ----------------------------------------------------------------------------


def _pages(customer_id: int) -> list[tuple[str, str]]:
    """(name, path) of every portal page customer1 opens, with its own objects."""
    from billing.models import Invoice
    from subscriptions.models import Subscription

    invoice = Invoice.objects.filter(customer_id=customer_id).exclude(number="").latest("id")
    subscription = Subscription.objects.filter(customer_id=customer_id).order_by("pk").first()
    deep = _deep_invoice_page(customer_id)
    return [
        ("healthz", "/healthz"),
        ("dashboard", "/"),
        ("invoices", "/invoices/"),
        ("invoices unpaid", "/invoices/?show=unpaid"),
        ("invoices paid", "/invoices/?show=paid"),
        (f"invoices page {deep[0]}", f"/invoices/?{deep[1]}"),
        ("invoice", f"/invoices/{invoice.pk}/"),
        ("payments", "/payments/"),
        ("subscriptions", "/subscriptions/"),
        ("subscription", f"/subscriptions/{subscription.pk}/"),
        ("credits", "/credits/"),
        ("contract", "/contract/"),
        ("orders", "/orders/"),
        ("quotes", "/quotes/"),
        ("payment methods", "/payment-methods/"),
    ]


def _deep_invoice_page(customer_id: int, pages: int = DEEP_PAGE) -> tuple[int, str]:
    """(n, query string) of the n-th page of customer1's invoices, followed link by link."""
    from billing.documents import selectors
    from contracts.models import Customer
    from core.paging import keyset_page

    customer = Customer.objects.select_related("tenant").get(pk=customer_id)
    invoices = selectors.invoice_list(tenant=customer.tenant, customer=customer, show="all")
    query = ""
    for n in range(1, pages):
        after = parse_qs(query)["after"][0] if query else None
        following = keyset_page(invoices, selectors.INVOICE_ORDER, after=after).next_query
        if following is None:
            return n, query
        query = following
    return pages, query


def _queries_and_plans(paths: list[tuple[str, str]]) -> dict[str, dict]:
    """Per page: its query count when rendered and when served from the page cache, and the
    large tables a query of the rendering scans sequentially."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from core.models import User

    client = Client(HTTP_HOST=HOST)
    client.force_login(User.objects.get(email=LOGIN[0]))
    client.get("/contract/edit/")  # warm the session and the business (a page not cached)
    found = {}
    for name, path in paths:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        with CaptureQueriesContext(connection) as again:
            client.get(path)
        queries = [q["sql"] for q in captured.captured_queries]
        scans = set()
        with connection.cursor() as cursor:
            for sql in queries:
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                scans |= _seq_scans(cursor.fetchone()[0][0]["Plan"])
        found[name] = {
            "status": response.status_code,
            "queries": len(queries),
            "queries_from_cache": len(again),
            "seq_scans": sorted(scans),
        }
    return found


def _seq_scans(plan: dict) -> set[str]:
    scans = set()
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in LARGE_TABLES:
        scans.add(plan["Relation Name"])
    for child in plan.get("Plans", []):
        scans |= _seq_scans(child)
    return scans


def _serve(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz", headers={"Host": f"{HOST}:{port}"})
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz")


def _login(port: int) -> str:
    """customer1 logs in through the login form; returns the Cookie header wrk sends."""
    host = f"{HOST}:{port}"
    conn = HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/accounts/login/", headers={"Host": host})
    page = conn.getresponse()
    cookies = _cookies(page.getheaders())
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())
    assert token, "the login page has a CSRF token"
    body = urlencode(
        {"csrfmiddlewaretoken": token.group(1), "login": LOGIN[0], "password": LOGIN[1]}
    )
    conn.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Host": host,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": _jar(cookies),
        },
    )
    answer = conn.getresponse()
    answer.read()
    cookies |= _cookies(answer.getheaders())
    assert answer.status == 302 and "sessionid" in cookies, f"login failed ({answer.status})"
    # Where the login leads, as a browser follows it: that page shows the login's message,
    # and its answer deletes the message cookie, which wrk would otherwise send every time.
    conn.request(
        "GET", answer.getheader("Location"), headers={"Host": host, "Cookie": _jar(cookies)}
    )
    landing = conn.getresponse()
    landing.read()
    cookies |= _cookies(landing.getheaders())
    return _jar({k: v for k, v in cookies.items() if v not in ("", '""')})


def _jar(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def _cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            found[key.strip()] = rest.split(";", 1)[0]
    return found


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(port: int, path: str, cookie: str, seconds: int) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c8",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Host: {HOST}:{port}",
            "-H",
            f"Cookie: {cookie}",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return round(float(value) * UNIT_MS[unit], 2)

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "req_per_s": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10, help="wrk's duration per page")
    parser.add_argument("--port", type=int, default=8470)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="render every page (KONTOR_PAGE_CACHE_SECONDS=0): what a page costs on a miss",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database a --keep run left, without seeding it again",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    admin_url = _setup_env(args.port)
    if args.no_page_cache:
        os.environ["KONTOR_PAGE_CACHE_SECONDS"] = "0"
    if not args.reuse:
        _pg(admin_url, f"DROP DATABASE IF EXISTS {DB}")
        _pg(admin_url, f"CREATE DATABASE {DB}")
    server = None
    try:
        import django

        django.setup()
        from django.core.cache import cache
        from django.core.management import call_command

        cache.clear()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)  # the manifest pages read
        if args.reuse:
            tenant_id, customer_id = _customer1()
            seed = {"seed": _counts(tenant_id, customer_id), "reused": True}
        else:
            seed = _seed(args.customers, args.months)
            tenant_id, customer_id = seed.pop("ids")
        print(json.dumps(seed), flush=True)

        pages = _pages(customer_id)
        plans = _queries_and_plans(pages)
        server = _serve(args.port)
        cookie = _login(args.port)
        results = []
        for name, path in pages:
            row = {"page": name, "path": path, **_wrk(args.port, path, cookie, args.seconds)}
            row.update(plans[name])
            results.append(row)
        healthz = results[0]["req_per_s"]
        for row in results:
            row["healthz_ratio"] = round(row["req_per_s"] / healthz, 2)
            row["meets_target"] = (
                row["req_per_s"] >= TARGET_RPS
                and row["p99_ms"] <= TARGET_P99_MS
                and row["non_2xx"] == 0
                and not row["seq_scans"]
            )
            print(json.dumps(row), flush=True)
        portal = results[1:]
        print(
            json.dumps(
                {
                    "summary": True,
                    "healthz_req_per_s": healthz,
                    "pages": len(portal),
                    "pages_meeting_target": sum(r["meets_target"] for r in portal),
                    "slowest_page": min(portal, key=lambda r: r["req_per_s"])["page"],
                    "min_req_per_s": min(r["req_per_s"] for r in portal),
                    "max_p99_ms": max(r["p99_ms"] for r in portal),
                    "pages_with_seq_scans": [r["page"] for r in portal if r["seq_scans"]],
                    "invoices": seed["seed"]["invoices"],
                }
            )
        )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _pg(admin_url, f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
