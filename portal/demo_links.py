"""The demo's payment links: per business, a welcome discount code, a link that sells one
tariff with that code, and a link that lets the buyer pick among two tariffs."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from billing.models import Checkout, PaymentLink
from billing.ordering.links import payment_link_options, payment_link_tariffs
from billing.ordering.services import Choice, checkout_place
from contracts.models import Customer
from contracts.selectors import legal_documents_pending
from core.models import Tenant
from core.roles import ContactRole
from subscriptions.models import DiscountCode, Module, Tariff
from subscriptions.module_data import module_fields

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


# Who bought through each business's welcome link, with the module data its plan asks for.
LINK_BUYERS = {"acme": "C-1003", "globex": "G-2003"}
REQUIRED_DATA = {"domain": "shop.example.test", "focus": "Operations"}


def seed_link_purchase(tenant: Tenant, link: PaymentLink, today: date) -> None:
    """A subscription bought through the welcome link, by the real checkout, once."""
    customer = Customer.objects.filter(tenant=tenant, number=LINK_BUYERS.get(tenant.slug)).first()
    if customer is None or Checkout.objects.filter(payment_link=link).exists():
        return
    owner = customer.contacts.filter(role=ContactRole.OWNER, is_active=True).first()
    tariff = payment_link_tariffs(link).first()
    if owner is None or tariff is None:
        return
    checkout_place(
        customer=customer,
        actor=owner.user,
        key=uuid.uuid5(uuid.NAMESPACE_URL, f"kontor-demo/{tenant.slug}/{link.pk}"),
        choice=Choice(
            tariff=tariff,
            options=tuple((o, 1) for o in payment_link_options(link, tariff)),
            code=link.discount_code,
        ),
        module_data={
            f.key: REQUIRED_DATA[f.key]
            for f in module_fields(module=tariff.module)
            if f.required and f.key in REQUIRED_DATA
        },
        terms_shown=[d.pk for d in legal_documents_pending(tenant=tenant, customer=customer)],
        accepted=True,
        today=today,
        link=link,
    )
