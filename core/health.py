"""Readiness of what Kontor stands on: the database and the task broker."""

from __future__ import annotations

from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu import Connection

from core.tasks import HEARTBEAT_KEY


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return f"error: {type(exc).__name__}"
    return "ok"


def broker_status() -> str:
    conf = current_app.conf
    if conf.task_always_eager:
        return "ok (tasks run in-process)"
    url = conf.broker_url or ""
    if url.startswith("filesystem://"):
        folders = [
            Path(p) for p in (conf.broker_transport_options or {}).values() if isinstance(p, str)
        ]
        missing = [str(p) for p in folders if not p.is_dir()]
        return f"error: missing {', '.join(missing)}" if missing else "ok"
    try:
        with Connection(url, connect_timeout=2, transport_options={"max_retries": 0}) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # the broker is down or unreachable
        return f"error: {type(exc).__name__}"
    return "ok"


def health() -> tuple[bool, dict]:
    checks = {"database": database_status(), "broker": broker_status()}
    healthy = all(value.startswith("ok") for value in checks.values())
    try:
        heartbeat = cache.get(HEARTBEAT_KEY)
    except Exception:  # a cache outage must not hide the other answers
        heartbeat = None
    return healthy, {
        "status": "ok" if healthy else "unavailable",
        **checks,
        "worker_last_heartbeat": heartbeat,
        "version": settings.KONTOR_VERSION,
    }
