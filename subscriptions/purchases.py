"""Purchased packages: what is left of each one. Called by the credit services in their
transaction, under the customer's credit account lock (subscriptions.credits), so two uses at
once never draw the same credits twice."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from contracts.models import Customer
from subscriptions.models import PackageKind, PackagePurchase


def purchase_credits_draw(*, customer: Customer, credits: int) -> None:
    """Take `credits` from the customer's credit purchases, oldest first (first in, first
    out), skipping forfeited and used-up ones. Credits given by hand belong to no purchase:
    what the purchases cannot cover came from those, and is not drawn from anything."""
    if credits <= 0:
        return
    purchases = (
        PackagePurchase.objects.select_for_update()
        .filter(
            customer=customer,
            kind=PackageKind.CREDITS,
            forfeited_at__isnull=True,
            credits_left__gt=0,
        )
        .order_by("bought_at", "id")
    )
    for purchase in purchases:
        taken = min(purchase.credits_left, credits)
        purchase.credits_left -= taken
        purchase.save(update_fields=["credits_left"])
        credits -= taken
        if credits == 0:
            return


def purchases_forfeit(*, customer: Customer, today: date) -> int:
    """Switching kind gives up what is left: credit purchases with credits left, and
    subscription purchases not yet over. Returns how many purchases were forfeited."""
    now = timezone.now()
    live = PackagePurchase.objects.filter(customer=customer, forfeited_at__isnull=True)
    credits = live.filter(kind=PackageKind.CREDITS, credits_left__gt=0).update(
        forfeited_at=now, credits_left=0
    )
    days = live.filter(kind=PackageKind.SUBSCRIPTION, valid_until__gte=today).update(
        forfeited_at=now
    )
    return credits + days
