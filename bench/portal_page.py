"""How much a portal page costs: the dashboard, rendered through the whole middleware stack.

    .venv/bin/python bench/portal_page.py [--requests 500]

Runs against a throw-away database: a temporary SQLite file, or — when DATABASE_URL names a
PostgreSQL server — a database of its own that it creates and drops. Prints one JSON line last:
{"requests": N, "median_ms": …, "p95_ms": …, "requests_per_s": …, "queries_per_request": …}
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    # WhiteNoise notes that collectstatic has not run; the bench serves no static files.
    warnings.filterwarnings("ignore", message="No directory at")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="kontor-bench-")
    source_url = os.environ.get("DATABASE_URL", "")
    pg_admin_url = None
    if source_url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(source_url)
        pg_admin_url = urlunsplit(parts._replace(path="/postgres"))
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/kontor_bench_portal"))
        _pg(pg_admin_url, "DROP DATABASE IF EXISTS kontor_bench_portal")
        _pg(pg_admin_url, "CREATE DATABASE kontor_bench_portal")
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "bench-only",
            "KONTOR_DATA_DIR": tmp,
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    try:
        call_command("migrate", verbosity=0)
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
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
    finally:
        connections.close_all()
        if pg_admin_url:
            _pg(pg_admin_url, "DROP DATABASE IF EXISTS kontor_bench_portal")
    print(json.dumps(result))


def _pg(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


if __name__ == "__main__":
    main()
