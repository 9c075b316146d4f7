"""Reads on saved cards and payments, scoped by tenant and customer."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from billing.payments.models import Payment, PaymentAllocation, PaymentMethod, Refund
from contracts.models import Customer
from core.models import Tenant


def payment_method_list(*, tenant: Tenant, customer: Customer) -> QuerySet[PaymentMethod]:
    return PaymentMethod.objects.filter(tenant=tenant, customer=customer)


def payment_list(*, tenant: Tenant, customer: Customer) -> QuerySet[Payment]:
    """Newest first, each with its receipt and the invoices it paid."""

    return (
        Payment.objects.filter(tenant=tenant, customer=customer)
        .select_related("receipt")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=PaymentAllocation.objects.select_related("invoice").order_by("id"),
            ),
            Prefetch("refunds", queryset=Refund.objects.select_related("credit_note")),
        )
        .order_by("-received_on", "-id")
    )


def payment_receipt_list(*, tenant: Tenant, customer: Customer) -> QuerySet[Payment]:
    """The payments a receipt is printed for, with the seller and buyer it names (the receipt
    reads its own allocations and refunds, so nothing is prefetched for it)."""
    return Payment.objects.select_related("tenant", "customer").filter(
        tenant=tenant, customer=customer
    )
