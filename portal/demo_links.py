"""The demo's payment links: per business, a welcome discount code, a link that sells one
tariff with that code, and a link that lets the buyer pick among two tariffs."""

from __future__ import annotations

from decimal import Decimal

from billing.models import PaymentLink
from core.models import Tenant
from subscriptions.models import DiscountCode, Module, Tariff

WELCOME_CODE = "WELCOME10"


def _link(tenant: Tenant, *, name: str, description: str, tariffs: list[Tariff], **fields):
    """The demo link of that name, made once (its slug, and so its address, then stays)."""
    link = PaymentLink.objects.filter(tenant=tenant, name=name).first()
    if link is None:
        link = PaymentLink.objects.create(
            tenant=tenant, name=name, description=description, module=tariffs[0].module, **fields
        )
        link.tariffs.set(tariffs)
        offered = {o.pk for t in tariffs for o in t.options.all()}
        link.options.set([pk for pk in offered][:1])
    return link


def seed_payment_links(tenant: Tenant, tariffs: dict[str, Tariff]) -> list[PaymentLink]:
    code, _made = DiscountCode.objects.get_or_create(
        tenant=tenant,
        code=WELCOME_CODE,
        defaults={
            "description": "10 % off the first three billing periods.",
            "kind": "percent",
            "value": Decimal(10),
            "periods": 3,
        },
    )
    by_module: dict[Module, list[Tariff]] = {}
    for tariff in tariffs.values():  # in the catalogue's order
        by_module.setdefault(tariff.module, []).append(tariff)
    (first, first_tariffs), (second, second_tariffs) = list(by_module.items())[:2]
    return [
        _link(
            tenant,
            name=f"{first.name}: welcome offer",
            description="Start today: 10 % off your first three billing periods.",
            tariffs=first_tariffs[1:2] or first_tariffs[:1],
            discount_code=code,
            max_uses=50,
        ),
        _link(
            tenant,
            name=f"{second.name}: pick your plan",
            description="Choose the plan that fits; you can change it later in the portal.",
            tariffs=second_tariffs[:2],
        ),
    ]
