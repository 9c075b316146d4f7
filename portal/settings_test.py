"""Test settings: real PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set (always in CI),
SQLite, an in-memory cache and eager tasks otherwise."""

import os

os.environ.setdefault("KONTOR_TESTING", "true")

from portal.settings import *  # noqa: F403
from portal.settings import CACHES, DATA_DIR, REDIS_URL, env

_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")

DEBUG = False
# Links in e-mails as production builds them, whatever a developer's .env says (make run
# writes DEBUG=true there, which would make them http://…:8000).
KONTOR_LINK_SCHEME = "https"
KONTOR_LINK_PORT = ""
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Off whatever a developer's .env says (DEBUG=true switches it on); tests that need it say so.
KONTOR_DEMO_OUTBOX = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
KONTOR_TENANT_CACHE_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if REDIS_URL:
    # Each xdist worker gets a Redis database of its own: tests clear the cache (FLUSHDB), which
    # must never wipe another worker's rate-limit counters, heartbeats or queued tasks.
    from urllib.parse import urlsplit, urlunsplit

    from django.core.exceptions import ImproperlyConfigured

    _parts = urlsplit(REDIS_URL)
    _base = int(_parts.path.strip("/") or 0)
    _db = _base + int(_XDIST_WORKER.removeprefix("gw") or 0)
    if _db > 15:  # Redis has databases 0-15: sharing one would let workers flush each other
        raise ImproperlyConfigured(f"xdist worker {_XDIST_WORKER} has no Redis database left")
    REDIS_URL = urlunsplit(_parts._replace(path=f"/{_db}"))
    CACHES["default"]["LOCATION"] = REDIS_URL
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "test-celerybeat-schedule")
# Each xdist worker has its own queue, so one worker's test Celery worker never takes another's.
CELERY_TASK_DEFAULT_QUEUE = f"kontor-test-{_XDIST_WORKER}"
