"""Quotes built through the services, as staff build them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing.documents.models import TaxRate
from core.roles import SYSTEM
from quotes.approval import Approval, quote_approve, quote_decline
from quotes.lifecycle import quote_expire, quote_revise, quote_send, quote_withdraw
from quotes.models import QuoteStatus
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


def sent_quote(customer, *, staff=SYSTEM, today=TODAY, **kwargs):
    """A quote as `pending_quote` builds it, sent (numbered, frozen) on `today`."""
    quote = pending_quote(customer, staff=staff, today=today, **kwargs)
    return quote_send(quote=quote, actor=staff, today=today)


def quote_in(status: str, world, *, staff=SYSTEM):
    """A quote of alice's customer brought into `status` through the services, as it would
    get there in real life."""
    if status == QuoteStatus.DRAFT:
        return pending_quote(world.alpha, staff=staff)
    quote = sent_quote(world.alpha, staff=staff)
    if status == QuoteStatus.SENT:
        return quote
    if status == QuoteStatus.DECLINED:
        return quote_decline(quote=quote, actor=world.alice, reason="Too dear", today=TODAY)
    if status == QuoteStatus.WITHDRAWN:
        return quote_withdraw(quote=quote, actor=staff, reason="Wrong customer")
    if status == QuoteStatus.EXPIRED:
        return quote_expire(quote=quote, actor=staff)
    if status == QuoteStatus.SUPERSEDED:
        quote_revise(quote=quote, actor=staff, today=TODAY)
        quote.refresh_from_db()
        return quote
    if status == QuoteStatus.CONVERTED:
        return quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
    raise AssertionError(f"no way into {status}")
