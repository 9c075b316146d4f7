"""How much a portal page costs: the dashboard, rendered through the whole middleware stack.

    .venv/bin/python bench/portal_page.py [--requests 500]

Runs against a throw-away database: a temporary SQLite file, or — when DATABASE_URL names a
PostgreSQL server — a database of its own that it creates and drops. Prints one JSON line last:
{"requests": N, "median_ms": …, "p95_ms": …, "requests_per_s": …, "queries_per_request": …}
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from _demo_db import demo_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()

    with demo_database("kontor_bench_portal"):
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext, override_settings

        with override_settings(
            STORAGES={
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
            },
        ):
            client = Client(HTTP_HOST="acme.localhost")
            response = client.post(
                "/accounts/login/", {"login": "customer1@acme.test", "password": "kontor-demo"}
            )
            assert response.status_code == 302, response.status_code
            for _ in range(20):  # warm caches, templates, connection
                client.get("/")
            with CaptureQueriesContext(connection) as queries:
                client.get("/")
            # Read now: the captured list is a view on a log the next request resets.
            query_count = len(queries.captured_queries)
            timings = []
            for _ in range(args.requests):
                start = time.perf_counter()
                response = client.get("/")
                timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
        timings.sort()
        result = {
            "database": connection.vendor,
            "requests": args.requests,
            "median_ms": round(statistics.median(timings), 2),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
            "requests_per_s": round(1000 / statistics.mean(timings), 1),
            "queries_per_request": query_count,
            "bytes": len(response.content),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
