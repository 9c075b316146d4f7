"""A throw-away demo database for the in-process benchmarks: a temporary SQLite file, or — when
DATABASE_URL names a PostgreSQL server — a database of its own, created and dropped."""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@contextmanager
def demo_database(name: str, **environ: str) -> Iterator[None]:
    """Production settings on a fresh database named `name`, migrated and seeded with the demo;
    `environ` adds settings (read by portal.settings at setup)."""
    # WhiteNoise notes that collectstatic has not run; the benches serve no static files.
    warnings.filterwarnings("ignore", message="No directory at")
    tmp = tempfile.mkdtemp(prefix="kontor-bench-")
    source_url = os.environ.get("DATABASE_URL", "")
    pg_admin_url = None
    if source_url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(source_url)
        pg_admin_url = urlunsplit(parts._replace(path="/postgres"))
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        _pg(pg_admin_url, f"DROP DATABASE IF EXISTS {name}")
        _pg(pg_admin_url, f"CREATE DATABASE {name}")
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "bench-only",
            "KONTOR_DATA_DIR": tmp,
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            **environ,
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    try:
        call_command("migrate", verbosity=0)
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        yield
    finally:
        connections.close_all()
        if pg_admin_url:
            _pg(pg_admin_url, f"DROP DATABASE IF EXISTS {name}")


def _pg(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)
