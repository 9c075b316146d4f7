import json

import pytest
from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from core.tasks import HEARTBEAT_KEY, heartbeat

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_broker_as_json():
    response = Client(HTTP_HOST="localhost").get("/healthz")
    body = json.loads(response.content)
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"].startswith("ok")


def test_health_answers_on_any_host_even_unknown_ones():
    assert Client(HTTP_HOST="whatever.localhost").get("/healthz").status_code == 200


def test_an_unreachable_broker_makes_it_503(settings):
    conf = current_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = "redis://127.0.0.1:1/0", False
    try:
        response = Client(HTTP_HOST="localhost").get("/healthz")
    finally:
        conf.broker_url, conf.task_always_eager = saved
    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["status"] == "unavailable" and body["broker"].startswith("error")
    assert body["database"] == "ok"


def test_a_missing_filesystem_broker_folder_makes_it_503(tmp_path):
    conf = current_app.conf
    saved = conf.broker_url, conf.task_always_eager, conf.broker_transport_options
    conf.broker_url, conf.task_always_eager = "filesystem://", False
    conf.broker_transport_options = {"data_folder_in": str(tmp_path / "nope")}
    try:
        response = Client(HTTP_HOST="localhost").get("/healthz")
    finally:
        conf.broker_url, conf.task_always_eager, conf.broker_transport_options = saved
    assert response.status_code == 503


def test_health_shows_when_a_worker_last_ran_the_heartbeat():
    cache.set(HEARTBEAT_KEY, "2026-11-22T10:00:00+00:00")
    body = json.loads(Client(HTTP_HOST="localhost").get("/healthz").content)
    assert body["worker_last_heartbeat"] == "2026-11-22T10:00:00+00:00"


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis: tasks run eagerly without it")
def test_a_real_worker_runs_the_heartbeat_through_redis():
    """A task round trip through the real broker to a real worker (CI always runs this)."""
    import time

    from celery.contrib.testing.worker import start_worker

    app = current_app._get_current_object()
    with start_worker(
        app,
        pool="solo",
        perform_ping_check=False,
        shutdown_timeout=10,
        queues=[settings.CELERY_TASK_DEFAULT_QUEUE],
    ):
        heartbeat.delay()
        deadline = time.monotonic() + 15
        while cache.get(HEARTBEAT_KEY) is None and time.monotonic() < deadline:
            time.sleep(0.05)
    assert cache.get(HEARTBEAT_KEY) is not None


def test_in_eager_mode_tasks_run_in_process():
    """The no-Redis fallback: the task runs inside the caller, no broker involved."""
    conf = current_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = True
    try:
        heartbeat.delay()
    finally:
        conf.task_always_eager = saved
    assert cache.get(HEARTBEAT_KEY) is not None
