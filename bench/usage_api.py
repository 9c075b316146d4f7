"""What a helpdesk's usage report costs: POST /api/v1/usage/ through the whole stack (key
authentication, rate limit, the account lock, the ledger), a repeated report (idempotent, charges
nothing) and the check.

    .venv/bin/python bench/usage_api.py [--requests 500]

Runs against a throw-away demo database (bench/_demo_db.py: SQLite, or its own PostgreSQL
database when DATABASE_URL names a server). Prints one JSON line per operation:
{"operation": …, "requests": N, "median_ms": …, "p95_ms": …, "requests_per_s": …,
 "queries_per_request": …}
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from _demo_db import demo_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()

    # The per-key limit would stop the bench: lifted for it alone.
    with demo_database("kontor_bench_usage", KONTOR_API_RATE="1000000/min"):
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from contracts.models import Customer
        from core.models import User
        from portal.demo import DEMO_API_KEY
        from subscriptions.credits import credits_adjust
        from subscriptions.models import Department

        customer = Customer.objects.get(tenant__slug="acme", number="C-1001")
        support = Department.objects.get(tenant=customer.tenant, name="Support")
        manager = User.objects.get(email="manager@acme.test")
        credits_adjust(customer=customer, delta=1_000_000, reason="benchmark", actor=manager)
        client = Client(HTTP_HOST="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {DEMO_API_KEY}")

        def report(n: int) -> object:
            return client.post(
                "/api/v1/usage/",
                {
                    "customer_number": customer.number,
                    "department": support.pk,
                    "kind": "ticket",
                    "external_id": f"BENCH-{n}",
                    "occurred_at": "2026-11-30T10:00:00+01:00",
                },
                content_type="application/json",
            )

        check_path = (
            f"/api/v1/usage/check/?customer_number={customer.number}"
            f"&department={support.pk}&kind=ticket"
        )
        operations: list[tuple[str, Callable[[int], object], int]] = [
            ("report (new, charged)", lambda n: report(n), 201),
            ("report (repeated, charges nothing)", lambda n: report(1), 200),
            ("check", lambda n: client.get(check_path), 200),
        ]
        for _ in range(20):  # warm caches and the connection
            client.get(check_path)
        counter = iter(range(1, 10**9))
        for name, call, expected in operations:
            with CaptureQueriesContext(connection) as queries:
                first = call(next(counter))
                assert first.status_code == expected, (name, first.status_code, first.content)
            query_count = len(queries.captured_queries)
            timings = []
            for _ in range(args.requests):
                start = time.perf_counter()
                response = call(next(counter))
                timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == expected, response.content
            timings.sort()
            print(
                json.dumps(
                    {
                        "operation": name,
                        "database": connection.vendor,
                        "requests": args.requests,
                        "median_ms": round(statistics.median(timings), 2),
                        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
                        "requests_per_s": round(1000 / statistics.mean(timings), 1),
                        "queries_per_request": query_count,
                    }
                )
            )


if __name__ == "__main__":
    main()
