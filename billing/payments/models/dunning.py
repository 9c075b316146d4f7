"""Chasing an invoice whose automatic charge failed: retried on the business's schedule until
paid or out of retries."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.documents.models.invoice import Invoice
from core.models import Tenant


class DunningOutcome(models.TextChoices):
    RECOVERED = "recovered", _("Recovered")
    EXHAUSTED = "exhausted", _("Retries exhausted")


class DunningCase(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="dunning")
    started_on = models.DateField(_("first charge failed on"))
    retries_done = models.PositiveSmallIntegerField(_("retries done"), default=0)
    next_retry_on = models.DateField(_("next retry"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=DunningOutcome.choices, blank=True
    )
    final_action = models.CharField(_("final action taken"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("dunning case")
        verbose_name_plural = _("dunning cases")
        indexes = [models.Index(fields=["tenant", "next_retry_on"], name="dunning_due")]

    def __str__(self) -> str:
        return f"{self.invoice} ({self.outcome or _('open')})"
