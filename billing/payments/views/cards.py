"""Portal pages of saved cards: the list, adding one through Stripe.js, making one the default,
removing one. Card numbers go from the browser to the gateway; these views only ever see the
gateway's ids."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.payments import selectors
from billing.payments.gateways import GatewayError, gateway_for
from billing.payments.models import PaymentMethod
from billing.payments.services import (
    auto_charged_subscriptions,
    card_setup_start,
    payment_method_remove,
    payment_method_save,
    payment_method_set_default,
)
from contracts.access import customer_required
from core.page_cache import cached_page
from core.redirects import safe_next
from core.roles import may


def _may_manage(request: HttpRequest) -> bool:
    return may(
        request.user,
        "payment_method.manage",
        tenant=request.tenant,
        customer_id=request.customer.pk,
    )


def _method(request: HttpRequest, method_id: int) -> PaymentMethod:
    return get_object_or_404(
        selectors.payment_method_list(tenant=request.tenant, customer=request.customer),
        pk=method_id,
    )


def expiring_soon(method: PaymentMethod, today: date) -> bool:
    """Expires this month or next (a card is valid to the end of its expiry month)."""
    months_left = (method.exp_year - today.year) * 12 + method.exp_month - today.month
    return months_left <= 1


@customer_required
@cached_page
def payment_methods(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    methods = list(selectors.payment_method_list(tenant=request.tenant, customer=request.customer))
    for method in methods:
        method.expiring_soon = expiring_soon(method, today)
        method.expired = (method.exp_year, method.exp_month) < (today.year, today.month)
    return render(
        request,
        "billing/payment_methods.html",
        {
            "section_key": "payment_methods",
            "methods": methods,
            "takes_cards": gateway_for(request.tenant).takes_cards,
            "may_manage": _may_manage(request),
            "tenant": request.tenant,
        },
    )


@customer_required
def payment_method_add(request: HttpRequest) -> HttpResponse:
    """GET: the Stripe.js card form. POST (from its script, after Stripe confirmed the card):
    the setup's id, which the service checks with Stripe before keeping the card."""
    if not _may_manage(request):
        raise PermissionDenied
    next_url = safe_next(request, reverse("payment_methods"))
    if request.method == "POST":
        try:
            method = payment_method_save(
                customer=request.customer,
                setup_id=request.POST.get("setup_intent", "")[:255],
                actor=request.user,
            )
        except GatewayError as exc:
            messages.error(request, exc.message)
            return redirect(request.get_full_path())
        messages.success(request, _("Your card %(card)s is saved.") % {"card": method})
        return HttpResponseRedirect(next_url)
    try:
        publishable_key, client_secret = card_setup_start(
            customer=request.customer, actor=request.user
        )
    except GatewayError as exc:
        messages.error(request, exc.message)
        return redirect("payment_methods")
    return render(
        request,
        "billing/payment_method_add.html",
        {
            "section_key": "payment_methods",
            "stripe_js": settings.STRIPE_JS_URL,
            "publishable_key": publishable_key,
            "client_secret": client_secret,
            "next": next_url,
        },
    )


@customer_required
@require_POST
def payment_method_default(request: HttpRequest, method_id: int) -> HttpResponse:
    method = _method(request, method_id)
    if not _may_manage(request):
        raise PermissionDenied
    payment_method_set_default(method=method, actor=request.user)
    messages.success(request, _("%(card)s is now your default card.") % {"card": method})
    return redirect("payment_methods")


@customer_required
def payment_method_delete(request: HttpRequest, method_id: int) -> HttpResponse:
    """Asks first; removing the last card while renewals are charged to it says what follows."""
    method = _method(request, method_id)
    if not _may_manage(request):
        raise PermissionDenied
    if request.method == "POST":
        try:
            payment_method_remove(method=method, actor=request.user)
        except GatewayError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(card)s is removed.") % {"card": method})
        return redirect("payment_methods")
    last = not request.customer.payment_methods.exclude(pk=method.pk).exists()
    return render(
        request,
        "billing/payment_method_remove.html",
        {
            "section_key": "payment_methods",
            "method": method,
            "renewals_at_risk": auto_charged_subscriptions(request.customer) if last else 0,
        },
    )
