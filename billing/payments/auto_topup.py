"""Automatic top-up: when a customer's credit balance falls below the business's threshold (a
*crossing*, numbered in subscriptions/alerts.py), the credit package the customer chose is bought
again and charged to the saved default card, off-session, as renewals are.

Subscriptions, a floor below, enqueues `billing.tasks.auto_topup` by name after the crossing
commits. Here, under the credit account's row lock, the crossing number the top-up was bought for
is recorded with the purchase: a retried task, or the task of an older crossing running after a
newer one was topped up, buys nothing. The charge runs after commit through the billing run's
path (`charge_invoices`): a declined card leaves the invoice open to dunning, and nothing is
bought again for that crossing (nor for the next ones while that invoice is unpaid)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing.documents.models import PAYABLE, Invoice
from billing.payments.checkout import package_purchase_invoiced
from billing.payments.gateways import gateway_for
from billing.payments.models import PaymentMethod
from billing.payments.tasks import charge_invoices
from core.audit import audit_record
from core.licence import LicenceModule, licence_enabled
from core.models import Tenant
from core.roles import SYSTEM
from subscriptions.models import CreditAccount, PackageKind
from subscriptions.periods import local_today


def auto_topup_offered(tenant: Tenant) -> bool:
    """Customers may choose a top-up where there is a threshold to cross and a card to charge."""
    return tenant.low_balance_threshold is not None and gateway_for(tenant).takes_cards


def _unpaid(order_id: int | None) -> bool:
    return order_id is not None and (
        Invoice.objects.filter(lines__order_id=order_id, status__in=PAYABLE).exists()
    )


@transaction.atomic
def auto_topup_buy(*, account_id: int, crossing: int) -> Invoice | None:
    """Buy the chosen package once for this crossing and charge it after commit. None when
    nothing is bought: done already, no longer chosen or possible, or no longer needed."""
    account = (
        CreditAccount.objects.select_for_update(of=("self",))
        .select_related("customer__tenant", "auto_topup_package")
        .get(pk=account_id)
    )
    customer, package = account.customer, account.auto_topup_package
    tenant = customer.tenant
    if account.auto_topup_crossing >= crossing or package is None:
        return None
    threshold = tenant.low_balance_threshold
    if (
        threshold is None
        # Switched off since the crossing was queued: paid support is no longer sold.
        or not licence_enabled(tenant, LicenceModule.VIP_SUPPORT)
        or account.balance >= threshold  # bought or credited since: not needed any more
        or not package.is_active
        or package.kind != PackageKind.CREDITS
        or customer.is_test_account  # never charged (dunning's rule): it would be free credits
        or not auto_topup_offered(tenant)
        or not PaymentMethod.objects.filter(customer=customer, is_default=True).exists()
        or _unpaid(account.auto_topup_order_id)  # the last top-up's card was declined
    ):
        return None
    invoice = package_purchase_invoiced(
        customer=customer,
        package=package,
        actor=SYSTEM,
        today=local_today(timezone.now(), tenant.timezone),
        confirm_forfeit=False,  # a crossing happens to credits only: nothing to forfeit
    )
    # Saved after the purchase, which saved the account (its own copy) with the new balance.
    account.auto_topup_crossing = crossing
    account.auto_topup_order_id = invoice.lines.values_list("order_id", flat=True).first()
    account.save(update_fields=["auto_topup_crossing", "auto_topup_order"])
    audit_record(
        tenant=tenant,
        actor=SYSTEM,
        action="credits.auto_topup_buy",
        obj=customer,
        after={"package": package.name, "crossing": crossing, "invoice": invoice.number},
        actor_label="system: automatic top-up",
    )
    transaction.on_commit(lambda: charge_invoices.delay([invoice.pk]))
    return invoice
