from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.documents.models.invoice import Invoice
from core.models import Tenant


class ReminderOutcome(models.TextChoices):
    # Recorded, its e-mail queued: a task sends it after commit (and the next run again if not).
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    # A later step was already due, or the step's day fell before the invoice was issued.
    PASSED_OVER = "passed_over", _("Passed over")
    NO_RECIPIENT = "no_recipient", _("No recipient")


class InvoiceReminder(models.Model):
    """A payment reminder step of an invoice, recorded once with what became of it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="reminders")
    offset_days = models.SmallIntegerField(_("days from the due date"))
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ReminderOutcome, default=ReminderOutcome.SENT
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "offset_days"], name="reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} {self.offset_days:+d}"
