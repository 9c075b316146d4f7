"""Quotes built through the services, as staff build them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing.documents.models import TaxRate
from core.roles import SYSTEM
from quotes.approval import Approval
from quotes.services import (
    OptionIn,
    quote_add_line,
    quote_add_recurring,
    quote_create_draft,
    quote_update,
)
from tests.factories import OptionFactory, TariffFactory

TODAY = date(2026, 3, 10)


def default_rate(tenant, rate: str = "20.00") -> None:
    TaxRate.objects.get_or_create(
        tenant=tenant, is_default=True, defaults={"name": "Standard", "rate": Decimal(rate)}
    )


def pending_quote(customer, *, staff=SYSTEM, recurring: bool = True, deposit=None, today=TODAY):
    """A draft with two one-off lines (and a recurring line with an option), not yet sent."""
    default_rate(customer.tenant)
    quote = quote_create_draft(customer=customer, actor=staff, today=today, title="Website")
    quote_add_line(
        quote=quote,
        description="Set-up",
        unit_price=Decimal("499.995"),
        actor=staff,
        quantity=Decimal(1),
    )
    quote_add_line(
        quote=quote,
        description="Training day",
        unit_price=Decimal("333.33"),
        actor=staff,
        quantity=Decimal(3),
        tax_rate=Decimal("10"),
    )
    if recurring:
        tariff = TariffFactory(module__tenant=customer.tenant, price="49.00")
        option = OptionFactory(tenant=customer.tenant, unit_price="5.00")
        tariff.options.add(option)
        quote_add_recurring(
            quote=quote,
            tariff=tariff,
            actor=staff,
            start_on=date(2026, 4, 1),
            quantity=Decimal(2),
            unit_price=Decimal("45.00"),
            options=[OptionIn(option, 3)],
        )
    if deposit is not None:
        quote_update(quote=quote, actor=staff, deposit_kind=deposit[0], deposit_value=deposit[1])
    quote.refresh_from_db()
    return quote


def approval(**changes) -> Approval:
    return Approval(**{"accepted_terms": True, "terms_id": None, "name": "", **changes})
