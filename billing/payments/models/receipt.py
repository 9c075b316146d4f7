"""A receipt: the numbered document that acknowledges money received, issued when the payment is
recorded and frozen from then on, like an invoice."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.payments.models.payment import Payment
from core.models import Tenant


class Receipt(models.Model):
    """Number (its own gapless series, NumberSeries.RECEIPT), issue date and both parties are
    frozen when the payment is recorded; the PDF is rendered once by a worker and stored with
    its checksum. Database triggers (migration 0026) refuse any later change or deletion."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="receipt", verbose_name=_("payment")
    )
    number = models.CharField(_("number"), max_length=64)
    issue_date = models.DateField(_("issue date"))
    # Empty ({}) only on receipts given to payments recorded before receipts were numbered:
    # those print the parties as they were when their PDF was first stored.
    seller = models.JSONField(default=dict, blank=True)
    buyer = models.JSONField(default=dict, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="receipts/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(_("PDF checksum"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-issue_date", "-id"]
        constraints = [
            # One number, one document: take_numbers relies on it to refuse a repeated number.
            models.UniqueConstraint(fields=["tenant", "number"], name="receipt_number_unique"),
        ]

    def __str__(self) -> str:
        return self.number
