"""Background jobs with a progress bar (core.models.Job): what starts them, what a worker
reports through, and what clears them away.

A page starts a job (`job_start`) and enqueues its task after commit; the task runs its work
inside `job_running(job_id)`, which marks it running, hands it a `Progress` to count items
through (written in batches: about twenty writes per job, never one per item), records the file
it made (`Progress.finish`) and, should the work fail, marks the job failed with a message the
person who asked may read (the traceback goes to the log). A job already finished is not run
again: a redelivered task (acks_late) finds it done and returns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from core.models import Job, JobKind, JobState, Tenant, User

logger = logging.getLogger(__name__)

FAILED_MESSAGE = gettext_noop("Something went wrong while preparing this. Please try again.")

# Progress is written when it moved by a twentieth, or after this many seconds.
FLUSH_STEPS = 20
FLUSH_SECONDS = 1.0


def job_start(
    *,
    tenant: Tenant,
    kind: JobKind,
    requested_by: User | None,
    run: Callable[[int], object],
    customer_id: int | None = None,
    params: dict | None = None,
    total: int = 0,
) -> Job:
    """A queued job; `run(job_id)` (a task's `delay`) is called once the transaction commits,
    so the worker always finds the row."""
    job = Job.objects.create(
        tenant=tenant,
        kind=kind,
        requested_by=requested_by,
        customer_id=customer_id,
        params=params or {},
        total=total,
        expires_at=timezone.now() + timedelta(days=settings.KONTOR_JOB_DAYS),
    )
    transaction.on_commit(lambda: run(job.pk))
    return job


class Progress:
    """How far a running job got, written to its row in batches."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.done = job.done
        self.total = job.total
        self._written = (self.done, self.total)
        self._written_at = time.monotonic()

    def set_total(self, total: int) -> None:
        self.total = max(total, 0)
        self.done = min(self.done, self.total) if self.total else self.done
        self._write()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.total:
            self.done = min(self.done, self.total)  # never a bar past its end
        step = max(1, self.total // FLUSH_STEPS)
        if (
            self.done - self._written[0] >= step
            or time.monotonic() - self._written_at >= FLUSH_SECONDS
        ):
            self._write()

    def _write(self) -> None:
        if (self.done, self.total) == self._written:
            return
        Job.objects.filter(pk=self.job.pk).update(done=self.done, total=self.total)
        self._written = (self.done, self.total)
        self._written_at = time.monotonic()

    def finish(
        self,
        *,
        summary: str = "",
        content: bytes | File | None = None,
        filename: str = "",
        content_type: str = "",
    ) -> None:
        """Done: the file made (if any), under `filename`, and what it did in a sentence."""
        job = self.job
        job.done = self.total = job.total = max(self.done, self.total)
        job.state = JobState.DONE
        job.summary = summary[:500]
        job.finished_at = timezone.now()
        fields = ["done", "total", "state", "summary", "finished_at"]
        if content is not None:
            if isinstance(content, bytes):
                content = ContentFile(content)
            # A stored name of our own; the person's file name is only what it downloads as.
            suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
            job.file.save(f"job-{job.pk}.{suffix}", content, save=False)
            job.filename = filename
            job.content_type = content_type
            fields += ["file", "filename", "content_type"]
        job.save(update_fields=fields)
        self._written = (job.done, job.total)


@contextmanager
def job_running(job_id: int) -> Iterator[Progress | None]:
    """Run a job's work: yields its Progress, or None when there is nothing to run (no such
    job, or finished already). Work that raises marks the job failed; the error is logged and
    not raised again (a retry would fail the same way; the person asks again)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is not None and not job.finished:
            job.state = JobState.RUNNING
            job.started_at = timezone.now()
            job.save(update_fields=["state", "started_at"])
    if job is None or job.finished:
        yield None
        return
    progress = Progress(job)
    try:
        yield progress
    except Exception as exc:
        logger.exception("Background job %s failed", job_id)
        # For the log and the back office; the person who asked reads FAILED_MESSAGE.
        Job.objects.filter(pk=job_id).update(
            state=JobState.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        return
    if not progress.job.finished:  # the work forgot to say it finished: it did
        progress.finish()


def jobs_expire(*, now: datetime | None = None) -> int:
    """Delete the jobs past their expiry, with their files. Returns how many."""
    expired = list(Job.objects.filter(expires_at__lt=now or timezone.now()))
    for job in expired:
        if job.file:
            job.file.delete(save=False)
        job.delete()
    return len(expired)


def job_progress(job: Job, *, download_url: str = "") -> dict:
    """What the page polls: the state, the counters, and when done, the file's address."""
    return {
        "id": job.pk,
        "state": job.state,
        "state_label": str(job.get_state_display()),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        # "12 of 40", in the asker's language; empty until the worker counted the items.
        "count_label": (
            gettext("%(done)s of %(total)s") % {"done": job.done, "total": job.total}
            if job.total
            else ""
        ),
        "summary": job.summary,
        "error": gettext(FAILED_MESSAGE) if job.state == JobState.FAILED else "",
        "download_url": download_url if job.state == JobState.DONE and job.file else "",
        "filename": job.filename,
    }
