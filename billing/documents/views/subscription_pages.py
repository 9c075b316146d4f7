"""Orders and subscriptions are pages of the subscriptions app; their invoices and payment state
are billing's, a floor up, so billing routes these pages and adds what it knows (and each
price with VAT)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse

from billing.documents import selectors
from contracts.access import customer_required
from core.page_cache import cached_page
from subscriptions import selectors as subscription_selectors
from subscriptions import views as subscription_views
from subscriptions.models import Order


def _timeline(order: Order, payment: selectors.OrderPayment) -> dict:
    stages = list(order.stages.all())
    reached = [s for s in stages if s.reached_at]
    return {
        "order": order,
        "stages": stages,
        "current": reached[-1] if reached else None,
        "delivered": bool(stages) and len(reached) == len(stages),
        "payment": payment,
    }


@customer_required
@cached_page
def order_list(request: HttpRequest) -> HttpResponse:
    orders = list(
        subscription_selectors.order_list(tenant=request.tenant, customer=request.customer)
    )
    payments = selectors.order_payments(orders)
    return render(
        request,
        "subscriptions/orders.html",
        {"section_key": "orders", "orders": [_timeline(o, payments[o.pk]) for o in orders]},
    )


@customer_required
@cached_page
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_object_or_404(
        subscription_selectors.order_list(tenant=request.tenant, customer=request.customer),
        pk=order_id,
    )
    payment = selectors.order_payments([order])[order.pk]
    return render(
        request,
        "subscriptions/order_detail.html",
        {"section_key": "orders", **_timeline(order, payment)},
    )


def _with_prices(request: HttpRequest, cards: list[dict]) -> None:
    """Each subscription card's price per period, net and gross for this customer."""
    rate = selectors.default_tax_rate(request.tenant)
    for card in cards:
        card["price"] = selectors.customer_price(
            customer=request.customer,
            net=card["amount"],
            currency=card["subscription"].currency,
            rate=rate,
        )


@customer_required
@cached_page
def subscription_list(request: HttpRequest) -> HttpResponse:
    """The subscriptions app's list, each price with VAT."""
    response = subscription_views.subscription_list(request)
    if isinstance(response, TemplateResponse) and response.context_data is not None:
        _with_prices(request, response.context_data["cards"])
    return response


@customer_required
@cached_page
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """The subscriptions app's page (it 404s outsiders), with the invoices the subscription
    produced and its price with VAT."""
    response = subscription_views.subscription_detail(request, subscription_id)
    if isinstance(response, TemplateResponse) and response.context_data is not None:
        context = response.context_data
        context["invoices"] = selectors.subscription_invoices(subscription=context["subscription"])
        card = {"amount": context["amount"], "subscription": context["subscription"]}
        _with_prices(request, [card])
        context["price"] = card["price"]
    return response
