"""Reads for the portal's quote requests: the catalogue a customer picks from, and the customer's
own requests. Always scoped by the business (and the customer for requests)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from contracts.models import Customer
from core.models import Tenant
from quotes.models import QuoteRequest, QuoteRequestItem
from subscriptions.models import Module, Option, Tariff


def requestable_tariffs(*, tenant: Tenant) -> QuerySet[Tariff]:
    """The tariffs on sale in modules on sale, in catalogue order, with their price list and
    add-on options (three queries, however many there are)."""
    return (
        Tariff.objects.filter(tenant=tenant, is_active=True, module__is_active=True)
        .select_related("module")
        .prefetch_related("prices", Prefetch("options", queryset=Option.objects.order_by("name")))
        .order_by("module__name", "module_id", "position", "name", "id")
    )


def catalogue_modules(tariffs: list[Tariff]) -> list[tuple[Module, list[Tariff]]]:
    """The tariffs grouped under their module, in the order given."""
    grouped: dict[int, tuple[Module, list[Tariff]]] = {}
    for tariff in tariffs:
        grouped.setdefault(tariff.module_id, (tariff.module, []))[1].append(tariff)
    return list(grouped.values())


def quote_request_list(*, tenant: Tenant, customer: Customer) -> QuerySet[QuoteRequest]:
    """The customer's quote requests, newest first, with what they asked for."""
    return (
        QuoteRequest.objects.filter(tenant=tenant, customer=customer)
        .select_related("requested_by")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=QuoteRequestItem.objects.select_related("tariff__module")
                .prefetch_related(Prefetch("options", queryset=Option.objects.order_by("name")))
                .order_by("id"),
            )
        )
        .order_by("-created_at", "-id")
    )
