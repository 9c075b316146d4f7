"""Background jobs with a progress bar (core.models.Job): what starts them, what a worker
reports through, and what clears them away.

A page starts a job (`job_start`) and enqueues its task after commit; the task runs its work
inside `job_running(job_id)`, which marks it running, hands it a `Progress` to count items
through (written in batches: about twenty writes per job, never one per item), records the file
it made (`Progress.finish`) and, should the work fail, marks the job failed with a message the
person who asked may read (the traceback goes to the log). A worker takes a job only while it
waits (one UPDATE, so two workers never both take it): a redelivered task (acks_late) finds it
running or finished and returns. A job waiting or running with no sign of life (its heartbeat,
written with its progress) for KONTOR_JOB_STALE_MINUTES lost its worker: it counts as failed
to the person who asked, whom asking again gives a new one, and a redelivered task may run it.
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
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from core.models import Job, JobKind, JobState, Tenant, User
from core.models.job import PENDING, JobQuerySet

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
    transaction.on_commit(lambda: _enqueue(job.pk, run))
    return job


def _enqueue(job_id: int, run: Callable[[int], object]) -> None:
    try:
        run(job_id)
    except Exception as exc:
        # The broker is down: the job fails now (the person may ask again) instead of the page
        # answering 500 and the job waiting forever. Only a waiting one: an eager task (tests,
        # the demo) may have finished it already.
        logger.exception("Background job %s could not be queued", job_id)
        Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
            state=JobState.FAILED,
            error=f"Not queued: {type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )


def stalled_before(now: datetime | None = None) -> datetime:
    """A job waiting or running with no sign of life since then lost its worker."""
    return (now or timezone.now()) - timedelta(minutes=settings.KONTOR_JOB_STALE_MINUTES)


def job_stalled(job: Job, *, now: datetime | None = None) -> bool:
    return job.state in PENDING and job.heartbeat_at < stalled_before(now)


def jobs_fail_stalled(jobs: JobQuerySet, *, now: datetime | None = None) -> int:
    """Mark the stalled ones among `jobs` failed (a task redelivered later finds them
    finished). Returns how many."""
    now = now or timezone.now()
    return jobs.stalled(before=stalled_before(now)).update(
        state=JobState.FAILED,
        error=f"No sign of life for {settings.KONTOR_JOB_STALE_MINUTES} minutes: worker lost",
        finished_at=now,
    )


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
        Job.objects.filter(pk=self.job.pk).update(
            done=self.done, total=self.total, heartbeat_at=timezone.now()
        )
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
    job, another worker runs it, or finished already). Work that raises marks the job failed;
    the error is logged and not raised again (a retry would fail the same way; the person asks
    again)."""
    now = timezone.now()
    # Taken in one UPDATE: of two workers handed the same task, the database lets one take it.
    # A running job is taken again only once its worker is lost (no heartbeat), from the start.
    claimed = (
        Job.objects.filter(pk=job_id)
        .filter(
            Q(state=JobState.QUEUED)
            | Q(state=JobState.RUNNING, heartbeat_at__lt=stalled_before(now))
        )
        .update(state=JobState.RUNNING, started_at=now, heartbeat_at=now, done=0)
    )
    if not claimed:
        yield None
        return
    progress = Progress(Job.objects.get(pk=job_id))
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
    """Delete the jobs past their expiry, with their files, but not those still waiting or
    running (unless stalled): their worker is about to write the file. Returns how many."""
    now = now or timezone.now()
    alive = Q(state__in=PENDING, heartbeat_at__gte=stalled_before(now))
    expired = list(Job.objects.filter(expires_at__lt=now).exclude(alive))
    for job in expired:
        if job.file:
            job.file.delete(save=False)
        job.delete()
    return len(expired)


def job_progress(job: Job, *, download_url: str = "") -> dict:
    """What the page polls: the state, the counters, and when done, the file's address. A
    stalled job reads as failed: its bar stops, and the person may ask again."""
    state = JobState.FAILED if job_stalled(job) else JobState(job.state)
    return {
        "id": job.pk,
        "state": state,
        "state_label": str(state.label),
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
        "error": gettext(FAILED_MESSAGE) if state == JobState.FAILED else "",
        "download_url": download_url if job.state == JobState.DONE and job.file else "",
        "filename": job.filename,
    }
