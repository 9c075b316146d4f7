"""One order sent to a NestPay bank's 3-D gate, and the answer the bank posted back.

Each try at paying an invoice at the bank is a PaymentAttempt (numbered per invoice, like a
card charge) with one NestPayOrder: the order id (`oid`) the bank knows it by, the installment
count chosen, where the customer returns to, and the first verified final answer, kept as the
bank gave it. That answer is written once (`answered_at`): a back-post that arrives again, or
on the other URL, finds it there and changes nothing.
"""

from __future__ import annotations

from django.db import models

from billing.payments.models.gateway import PaymentAttempt
from core.models import Tenant


class NestPayOrder(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    attempt = models.OneToOneField(
        PaymentAttempt, on_delete=models.PROTECT, related_name="nestpay_order"
    )
    # Unique at the bank for the business's merchant number; unique here for every business.
    oid = models.CharField(max_length=64, unique=True)
    installments = models.PositiveSmallIntegerField(null=True, blank=True)
    # A path on the business's own host: the portal's invoice, or the e-mailed link's page.
    return_path = models.CharField(max_length=500)
    # The bank's first verified final answer (blank until then).
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.CharField(max_length=16, blank=True)  # ok_url | fail_url | inquiry
    md_status = models.CharField(max_length=4, blank=True)
    proc_return_code = models.CharField(max_length=8, blank=True)
    response = models.CharField(max_length=32, blank=True)
    trans_id = models.CharField(max_length=64, blank=True)
    auth_code = models.CharField(max_length=32, blank=True)
    host_ref_num = models.CharField(max_length=32, blank=True)
    masked_pan = models.CharField(max_length=32, blank=True)
    err_msg = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.oid} ({self.response or 'waiting'})"
