from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "kontor:worker-heartbeat"


@shared_task(ignore_result=True)
def heartbeat() -> str:
    """Scheduled every minute by beat; /healthz reports when a worker last ran it."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now


@shared_task(name="core.tasks.expire_jobs", acks_late=True)
def expire_jobs() -> int:
    """Hourly: delete the background jobs past their expiry, with the files they made."""
    from core.background import jobs_expire

    return jobs_expire()


@shared_task(ignore_result=True)
def purge_import_files() -> int:
    """Hourly: delete the import files whose confirmation expired unused (core.import_files)."""
    from core.import_files import import_files_purge

    return import_files_purge()
