"""What the subscription pages share: the subscription (404 for outsiders), what the contact may
do with it, and its card."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from core.roles import may
from subscriptions import selectors, services
from subscriptions.models import Subscription


def customer_subscription(request: HttpRequest, subscription_id: int) -> Subscription:
    return get_object_or_404(
        selectors.subscription_list(tenant=request.tenant, customer=request.customer),
        pk=subscription_id,
    )


def contact_rights(request: HttpRequest, subscription: Subscription) -> dict[str, bool]:
    """What this contact may do here: their role allows it and the plan offers it."""
    customer_id = request.customer.pk
    tariff = subscription.tariff
    return {
        "may_change": tariff.portal_may_change
        and may(
            request.user, "subscription.change", tenant=request.tenant, customer_id=customer_id
        ),
        "may_cancel": tariff.portal_may_cancel
        and may(
            request.user, "subscription.cancel", tenant=request.tenant, customer_id=customer_id
        ),
    }


def refused(request: HttpRequest, subscription: Subscription, right: str) -> HttpResponse:
    """403 in the visitor's language, saying whether the plan or the role stands in the way."""
    reason = (
        _("Your plan does not allow this in the customer portal.")
        if not getattr(subscription.tariff, f"portal_may_{right}")
        else None
    )
    return render(request, "403.html", {"reason": reason}, status=403)


def subscription_card(subscription: Subscription, today) -> dict:
    """What the list and the detail page show of a subscription."""
    return {
        "subscription": subscription,
        "amount": services.subscription_period_amount(subscription),
        "interval": selectors.interval_label(subscription.interval_months),
        "renews_on": (
            subscription.current_period(today).end if subscription.is_changeable else None
        ),
    }
