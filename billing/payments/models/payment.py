"""Money received, and which invoices it paid. Staff record bank transfers; the payments issue
adds gateways, refunds and receipts on top of these."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.documents.models.invoice import Invoice
from contracts.models import Customer
from core.models import Tenant


class PaymentMethodKind(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CARD = "card", _("Card")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


class Payment(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="payments", verbose_name=_("customer")
    )
    amount = models.DecimalField(_("amount"), max_digits=19, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    received_on = models.DateField(_("received on"))
    method = models.CharField(
        _("method"),
        max_length=16,
        choices=PaymentMethodKind.choices,
        default=PaymentMethodKind.BANK_TRANSFER,
    )
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    disputed_at = models.DateTimeField(_("disputed"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-id"]
        indexes = [
            # The portal's list, paged by keyset (core.paging): a seek, whatever the page.
            models.Index(fields=["customer", "-received_on", "-id"], name="payment_customer_seek"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.received_on})"


class PaymentAllocation(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("amount"), max_digits=19, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.payment} → {self.invoice}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Being refunded")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Refund failed")
    MANUAL = "manual", _("To be paid back by bank transfer")


class Refund(models.Model):
    """Money given back for a credit note settled as a refund: through the gateway for card
    payments, by the business's own transfer otherwise."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    credit_note = models.ForeignKey(
        "billing.CreditNote", on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(_("amount"), max_digits=19, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    gateway_refund_id = models.CharField(max_length=255, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    # The gateway's reason (GatewayError.code): whether a failed refund's money may have moved.
    failure_code = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_status_display()})"

    @property
    def idempotency_key(self) -> str:
        return f"kontor-{self.tenant_id}-refund-{self.pk}"
