"""Reads on saved cards and payments, scoped by tenant and customer, and the business's NestPay
setup for its gateway."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from billing.payments.models import (
    AttemptStatus,
    Gateway,
    NestPayOrder,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentSettings,
    Refund,
    bank_endpoints,
)
from contracts.models import Customer
from core.models import Tenant
from core.money import Money


def payment_method_list(*, tenant: Tenant, customer: Customer) -> QuerySet[PaymentMethod]:
    return PaymentMethod.objects.filter(tenant=tenant, customer=customer)


# The portal's order of payments, paged by keyset (core.paging) on Payment's
# payment_customer_seek index.
PAYMENT_ORDER = ("-received_on", "-id")


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
        .order_by(*PAYMENT_ORDER)
    )


def payment_receipt_list(*, tenant: Tenant, customer: Customer) -> QuerySet[Payment]:
    """The payments a receipt is printed for, with the seller and buyer it names (the receipt
    reads its own allocations and refunds, so nothing is prefetched for it)."""
    return Payment.objects.select_related("tenant", "customer").filter(
        tenant=tenant, customer=customer
    )


@dataclass(frozen=True)
class NestPayConfig:
    """What the NestPay gateway needs to talk to the business's bank; secrets decrypted."""

    bank: str
    mode: str
    gate_url: str
    api_url: str
    client_id: str
    store_key: str
    api_user: str
    api_password: str
    store_type: str
    currencies: list[str]
    installments: list[int]
    installments_min: Money | None


def nestpay_config(*, tenant: Tenant) -> NestPayConfig | None:
    """The business's NestPay setup, or None when it has not chosen NestPay with a bank. An
    override address wins over the bank's address for the mode."""
    config = PaymentSettings.objects.filter(tenant=tenant, gateway=Gateway.NESTPAY).first()
    if config is None or not config.nestpay_bank:
        return None
    bank = bank_endpoints(config.nestpay_bank, config.nestpay_mode)
    minimum = config.nestpay_installments_min_amount
    return NestPayConfig(
        bank=config.nestpay_bank,
        mode=config.nestpay_mode,
        gate_url=config.nestpay_gate_url or bank.gate_url,
        api_url=config.nestpay_api_url or bank.api_url,
        client_id=config.nestpay_client_id,
        store_key=config.nestpay_store_key,
        api_user=config.nestpay_api_user,
        api_password=config.nestpay_api_password,
        store_type=config.nestpay_store_type,
        currencies=list(config.nestpay_currencies),
        installments=list(config.nestpay_installments),
        installments_min=(
            None if minimum is None else Money(minimum, config.nestpay_installments_min_currency)
        ),
    )


def nestpay_order_waiting(*, invoice, since) -> NestPayOrder | None:
    """The newest order of the invoice sent to the bank since then and not answered yet: the
    customer may be paying it in another tab."""
    return (
        NestPayOrder.objects.filter(
            attempt__invoice=invoice,
            attempt__status=AttemptStatus.REQUIRES_ACTION,
            answered_at__isnull=True,
            created_at__gte=since,
        )
        .order_by("-created_at")
        .first()
    )
