"""How fast the billing run invoices subscriptions, against the naive per-object way.

    .venv/bin/python bench/billing_run.py --subscriptions 100000 [--workers 2] [--naive 2000]

Needs PostgreSQL (DATABASE_URL, default the local server): it creates a database of its own,
`kontor_bench_billing`, and drops it at the end. Two tenants get identical subscriptions; the
naive way (the services, one invoice at a time) bills a sample of them, the run bills all of
the other tenant's with `--workers` processes sharing the work (SKIP LOCKED). It checks both
made the same invoices for the sample, and prints one JSON line last:
{"subscriptions": N, "invoices_per_s": …, "naive_invoices_per_s": …, "ratio": …}
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import threading
import time
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "kontor_bench_billing"
TODAY = date(2026, 3, 1)
SEED_CHUNK = 10_000
AUTOANALYZE_SECONDS = 15.0


def _setup_env() -> str:
    source = os.environ.get("DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(source)
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{DB}"))
    os.environ.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "bench-only",
            "LOG_LEVEL": "WARNING",
            "SECURE_SSL_REDIRECT": "false",
            "CONN_MAX_AGE": "0",
            # Redis, as in production: every write bumps the page versions (core.page_versions)
            # in the cache, and the embedded file cache would make each bump a file write.
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"),
            "CELERY_BROKER_URL": "memory://localhost/",
        }
    )
    os.environ.setdefault("KONTOR_DATA_DIR", "/tmp/kontor-bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    return urlunsplit(parts._replace(path="/postgres"))


def _pg(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def _seed(count: int, sample: int) -> tuple[int, int]:
    """Two tenants with identical monthly subscriptions (bulk inserts, 10,000 at a time): the
    naive way's gets `sample` of them, the run's `count`."""
    from billing.models import TaxRate
    from core.models import Tenant
    from subscriptions.models import Module, Tariff, TariffPrice

    ids = []
    for slug, size in (("naive", sample), ("run", count)):
        tenant = Tenant.objects.create(
            slug=slug,
            name=slug.title(),
            legal_name="Bench GmbH",
            address_line_1="Somewhere 1",
            vat_id="DE136695976",
        )
        TaxRate.objects.create(tenant=tenant, name="Standard", rate=Decimal(19), is_default=True)
        module = Module.objects.create(tenant=tenant, name="Helpdesk")
        tariff = Tariff.objects.create(tenant=tenant, module=module, name="Team")
        TariffPrice.objects.create(
            tenant=tenant, tariff=tariff, description="Team", unit_price=Decimal("49.00")
        )
        TariffPrice.objects.create(
            tenant=tenant, tariff=tariff, description="Storage", unit_price=Decimal("4.99")
        )
        for start in range(0, size, SEED_CHUNK):
            numbers = range(start, min(start + SEED_CHUNK, size))
            _seed_chunk(tenant, tariff, slug, numbers)
        ids.append(tenant.pk)
    return ids[0], ids[1]


def _seed_chunk(tenant, tariff, slug: str, numbers: range) -> None:
    from contracts.models import Customer
    from subscriptions.models import Subscription

    customers = Customer.objects.bulk_create(
        [Customer(tenant=tenant, name=f"Customer {n}", number=f"{slug}-{n}") for n in numbers],
        batch_size=5000,
    )
    Subscription.objects.bulk_create(
        [
            Subscription(
                tenant=tenant,
                customer=c,
                tariff=tariff,
                started_on=TODAY,
                anchor_on=TODAY,
                next_invoice_on=TODAY,
                currency="EUR",
                price_items=[
                    {"description": "Team", "unit_price": "49.00"},
                    {"description": "Storage", "unit_price": "4.99"},
                ],
                interval_months=1,
                minimum_term_months=0,
                notice_period_days=30,
                change_notice_days=0,
            )
            for c in customers
        ],
        batch_size=5000,
    )


@contextmanager
def _autoanalyze(every: float = AUTOANALYZE_SECONDS):
    """A stand-in for autovacuum's ANALYZE while the run writes, on a server that runs with
    autovacuum off (ours here): the invoice tables grow from nothing to the run's size, and a
    planner that still believes them empty picks a plan that reads every row of them."""
    stop = threading.Event()

    def analyze() -> None:
        while not stop.wait(every):
            _pg(os.environ["DATABASE_URL"], "ANALYZE")

    thread = threading.Thread(target=analyze, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _naive(tenant_id: int, sample: int) -> float:
    """The per-object way: the services, one invoice (and its lines) at a time."""
    from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
    from core.roles import SYSTEM
    from subscriptions.models import Subscription
    from subscriptions.periods import add_months

    subscriptions = list(
        Subscription.objects.filter(tenant_id=tenant_id).select_related(
            "customer__tenant", "tenant"
        )[:sample]
    )
    start = time.perf_counter()
    for sub in subscriptions:
        invoice = invoice_create_draft(
            customer=sub.customer, actor=SYSTEM, subscription=sub, period_start=sub.next_invoice_on
        )
        for item in sub.price_items:
            invoice_add_line(
                invoice=invoice,
                description=item["description"],
                unit_price=Decimal(item["unit_price"]),
                actor=SYSTEM,
                service_start=TODAY,
                service_end=add_months(TODAY, 1),
            )
        invoice_finalize(invoice=invoice, actor=SYSTEM, today=TODAY)
        sub.next_invoice_on = add_months(TODAY, 1)
        sub.save(update_fields=["next_invoice_on"])
    return len(subscriptions) / (time.perf_counter() - start)


def _worker(tenant_id: int) -> tuple[int, float]:
    """One worker process (started afresh, as a Celery worker is): the invoices it issued, and
    its peak resident memory in MB."""
    import django

    django.setup()
    from billing.run.services import billing_run
    from core.models import Tenant

    issued = billing_run(
        today=TODAY, tenant=Tenant.objects.get(pk=tenant_id), batch_size=1000
    ).invoices
    return issued, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--naive", type=int, default=2000, help="sample for the naive way")
    args = parser.parse_args()
    admin_url = _setup_env()
    _pg(admin_url, f"DROP DATABASE IF EXISTS {DB}")
    _pg(admin_url, f"CREATE DATABASE {DB}")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        sample = min(args.naive, args.subscriptions)
        naive_tenant, run_tenant = _seed(args.subscriptions, sample)
        naive_rate = _naive(naive_tenant, sample)
        connections.close_all()
        # What autovacuum does on a server that runs it (ours here runs with it off): without
        # statistics the planner guesses a handful of due rows and picks its plan for that.
        _pg(os.environ["DATABASE_URL"], "VACUUM (ANALYZE)")
        start = time.perf_counter()
        with _autoanalyze(), multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            done = pool.map(_worker, [run_tenant] * args.workers)
        elapsed = time.perf_counter() - start
        issued = sum(count for count, _peak in done)
        from billing.models import Invoice

        same = _same_invoices(Invoice, naive_tenant, run_tenant, sample)
        result = {
            "subscriptions": args.subscriptions,
            "invoices": issued,
            "seconds": round(elapsed, 2),
            "invoices_per_s": round(issued / elapsed),
            "naive_invoices_per_s": round(naive_rate),
            "ratio": round(issued / elapsed / naive_rate, 1),
            "same_invoices": same,
            "workers": args.workers,
            # Each worker's peak resident memory: the run holds one batch at a time, so this
            # does not grow with the number of subscriptions.
            "worker_peak_rss_mb": [round(peak) for _count, peak in done],
        }
    finally:
        from django.db import connections

        connections.close_all()
        _pg(admin_url, f"DROP DATABASE IF EXISTS {DB}")
    print(json.dumps(result))


def _same_invoices(invoice_model, naive_tenant: int, run_tenant: int, sample: int) -> bool:
    """The naive sample and the run's invoices for the same customers match in totals."""

    def key(tenant_id, slug):
        return sorted(
            (
                row["customer__number"].split("-", 1)[1],
                str(row["net_amount"]),
                str(row["gross_amount"]),
            )
            for row in invoice_model.objects.filter(
                tenant_id=tenant_id, customer__number__in=[f"{slug}-{n}" for n in range(sample)]
            ).values("customer__number", "net_amount", "gross_amount")
        )

    naive = key(naive_tenant, "naive")
    run = dict((k, (n, g)) for k, n, g in key(run_tenant, "run"))
    return len(naive) == sample and all(run.get(k) == (n, g) for k, n, g in naive)


if __name__ == "__main__":
    main()
