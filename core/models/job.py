"""A long piece of work done by a worker for a person (a customer's ZIP of PDFs, a staff
member's billing run or export), with how far it got, so that the page that started it can
show a progress bar and, at the end, the file it made.

Written by the worker (core.background), read by the person who asked: a staff member for
their business, or a customer's contact (`customer_id`) for their customer. Files expire after
`BACKGROUND_JOB_DAYS` and are deleted by a periodic task with their row.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models.tenant import Tenant


class JobKind(models.TextChoices):
    CUSTOMER_EXPORT = "customer_export", _("All PDFs as one ZIP")
    BILLING_RUN = "billing_run", _("Billing run")
    PDF_REGENERATION = "pdf_regeneration", _("PDF regeneration")
    STAFF_EXPORT = "staff_export", _("Export")


class JobState(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("job", "Waiting")
    RUNNING = "running", pgettext_lazy("job", "Running")
    DONE = "done", pgettext_lazy("job", "Done")
    FAILED = "failed", pgettext_lazy("job", "Failed")


FINISHED = (JobState.DONE, JobState.FAILED)
PENDING = (JobState.QUEUED, JobState.RUNNING)


class JobQuerySet(models.QuerySet):
    def for_customer(self, *, tenant: Tenant, customer_id: int) -> JobQuerySet:
        return self.filter(tenant=tenant, customer_id=customer_id)

    def for_staff(self, *, tenant: Tenant, user) -> JobQuerySet:
        """A staff member's own jobs at this business (not those started acting as a customer:
        those are the customer's)."""
        return self.filter(tenant=tenant, requested_by=user, customer_id__isnull=True)

    def pending(self) -> JobQuerySet:
        return self.filter(state__in=PENDING)

    def stalled(self, *, before: datetime) -> JobQuerySet:
        """Waiting or running, with no sign of life since `before`: their worker was lost."""
        return self.pending().filter(heartbeat_at__lt=before)


class Job(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=32, choices=JobKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    # The customer whose portal started it (contracts.Customer, a floor above core: an id,
    # not a foreign key). Empty for staff jobs.
    customer_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=JobState.choices, default=JobState.QUEUED
    )
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="jobs/%Y/%m/", blank=True, max_length=300)
    filename = models.CharField(max_length=200, blank=True)  # the name it downloads as
    content_type = models.CharField(max_length=100, blank=True)
    # What it did, in the words shown at the end ("12 invoices issued").
    summary = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The last sign of life: queued, taken by a worker, or progress written. A job waiting or
    # running without one for KONTOR_JOB_STALE_MINUTES lost its worker (core.background).
    heartbeat_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                # A counter past its total would draw a bar beyond 100 %.
                condition=models.Q(done__lte=models.F("total")) | models.Q(total=0),
                name="job_done_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0
