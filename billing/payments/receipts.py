"""Receipts: each payment of money actually received gets one, numbered in the business's
receipt series and dated when the payment is recorded, with both parties frozen. Its PDF is
rendered and stored by a worker once the payment is committed, and downloads serve that file.

Only money received gets a receipt: a Payment row is always money in (amount > 0). Refunds are
money going out and are documented by their credit note; customer credit applied to an invoice
moves no money and is documented by the credit note or payment that created it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing.documents.finalization import buyer_snapshot, seller_snapshot
from billing.documents.models import NumberSeries
from billing.documents.numbering import take_number
from billing.payments.models import Payment, Receipt
from billing.payments.tasks import store_receipt_pdf
from subscriptions.periods import local_today


def receipt_issue(payment: Payment) -> Receipt | None:
    """Number, date and freeze the receipt of a payment being recorded, inside the transaction
    that records it (a rolled-back payment gives its number back: the series stays gapless)."""
    if payment.amount <= 0:
        return None
    tenant = payment.tenant
    today = local_today(timezone.now(), tenant.timezone)
    receipt = Receipt.objects.create(
        tenant=tenant,
        payment=payment,
        number=take_number(
            tenant=tenant,
            series=NumberSeries.RECEIPT,
            pattern=tenant.receipt_number_format,
            issue_date=today,
            numbered=Receipt,
        ),
        issue_date=today,
        seller=seller_snapshot(tenant),
        buyer=buyer_snapshot(payment.customer),
    )
    transaction.on_commit(lambda: store_receipt_pdf.delay(receipt.pk))
    return receipt


@transaction.atomic
def receipt_of(payment: Payment) -> Receipt | None:
    """The payment's receipt. Payments recorded before receipts existed got theirs from a
    migration, numbered in order of payment date; one that still has none (written around the
    services) is issued now, under the payment's row lock so two downloads issue one."""
    locked = Payment.objects.select_for_update().select_related("tenant", "customer")
    payment = locked.get(pk=payment.pk)
    existing = Receipt.objects.filter(payment=payment).first()
    return existing or receipt_issue(payment)
