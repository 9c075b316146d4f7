"""What the portal's catalogue shows: the modules on sale, their tariffs and options, each price
net and gross for the customer looking (their VAT regime applied)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from billing.documents.selectors import Price, customer_price, default_tax_rate
from billing.ordering.models import Checkout, CheckoutStatus, PaymentLink
from contracts.models import Customer
from core.models import Tenant
from core.money import round_money
from subscriptions.models import Module, Option, Tariff, TariffPrice
from subscriptions.selectors import interval_label


@dataclass(frozen=True)
class TariffOffer:
    tariff: Tariff
    price: Price  # one period, quantity 1, without options
    interval: str
    options: list[tuple[Option, Price]]  # per month


@dataclass(frozen=True)
class ModuleOffer:
    module: Module
    tariffs: list[TariffOffer]


def tariffs_on_sale(*, tenant: Tenant) -> QuerySet[Tariff]:
    return (
        Tariff.objects.filter(tenant=tenant, is_active=True, module__is_active=True)
        .select_related("module")
        .prefetch_related(
            Prefetch("prices", queryset=TariffPrice.objects.order_by("position", "id")),
            Prefetch("options", queryset=Option.objects.order_by("name")),
        )
        .order_by("module__name", "position", "name")
    )


def tariff_net(tariff: Tariff) -> Decimal:
    """One period of the tariff, quantity 1: each price rounded, then summed (as the run)."""
    return sum(
        (round_money(p.unit_price, tariff.currency) for p in tariff.prices.all()), Decimal(0)
    )


def tariff_offer(*, customer: Customer, tariff: Tariff, rate: Decimal) -> TariffOffer:
    return TariffOffer(
        tariff=tariff,
        price=customer_price(
            customer=customer, net=tariff_net(tariff), currency=tariff.currency, rate=rate
        ),
        interval=interval_label(tariff.interval_months),
        options=[
            (
                option,
                customer_price(
                    customer=customer, net=option.unit_price, currency=option.currency, rate=rate
                ),
            )
            for option in tariff.options.all()
        ],
    )


def catalogue(*, customer: Customer) -> list[ModuleOffer]:
    """The modules on sale with at least one tariff on sale, in a fixed number of queries."""
    tenant = customer.tenant
    rate = default_tax_rate(tenant)
    modules: dict[int, ModuleOffer] = {}
    for tariff in tariffs_on_sale(tenant=tenant):
        offer = modules.setdefault(tariff.module_id, ModuleOffer(tariff.module, []))
        offer.tariffs.append(tariff_offer(customer=customer, tariff=tariff, rate=rate))
    return list(modules.values())


def checkout_list(*, customer: Customer) -> QuerySet[Checkout]:
    return Checkout.objects.filter(customer=customer).select_related(
        "tariff__module", "invoice", "subscription"
    )


def open_checkouts(*, customer: Customer) -> QuerySet[Checkout]:
    return Checkout.objects.filter(customer=customer, status=CheckoutStatus.OPEN).select_related(
        "tariff__module", "invoice"
    )


def payment_link_list(*, tenant: Tenant) -> QuerySet[PaymentLink]:
    """This business's payment links (a view 404s for another business's slug)."""
    return PaymentLink.objects.filter(tenant=tenant).select_related(
        "module", "discount_code", "tenant"
    )
