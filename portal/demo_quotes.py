"""The demo's quotes, made through the services as staff and customers would make them: one
awaiting an answer (one-off and recurring lines, an add-on option), one approved and converted
(its invoice and subscription), one declined with a reason, one expired; and an open quote
request. Runs after the invoices (approval issues one) and only once per business."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from contracts.models import Customer
from core.models import Tenant
from core.roles import SYSTEM
from quotes.approval import Approval, quote_approve, quote_decline
from quotes.lifecycle import quote_send, quotes_expire_due
from quotes.models import Quote, QuoteRequest
from quotes.requests import ItemIn, quote_request_create
from quotes.selectors import current_terms
from quotes.services import (
    OptionIn,
    quote_add_line,
    quote_add_recurring,
    quote_create_draft,
    quote_update,
)
from subscriptions.models import Tariff

# The one-off prices below are in euros; a business selling in lira quotes them at this many.
ONE_OFF_SCALE = {"EUR": Decimal(1), "TRY": Decimal(40)}
# business -> (tariff with an add-on option, a tariff without)
QUOTED_TARIFFS = {
    "acme": ("Helpdesk/Team", "Website hosting/Business"),
    "globex": ("Cloud backup/500 GB", "Coaching/Monthly coaching"),
}


def _quote(
    tenant: Tenant,
    customer: Customer,
    *,
    title: str,
    sent_on: date,
    one_off: list[tuple[str, str, str]],
    recurring: tuple[tuple[Tariff, int, bool], ...] = (),
) -> Quote:
    """A quote drafted and sent on `sent_on` by the business's billing staff."""
    staff = tenant.staff_memberships.get(role="billing").user
    quote = quote_create_draft(customer=customer, actor=staff, today=sent_on, title=title)
    for description, quantity, unit_price in one_off:
        quote_add_line(
            quote=quote,
            description=description,
            quantity=Decimal(quantity),
            unit_price=Decimal(unit_price) * ONE_OFF_SCALE[tenant.default_currency],
            actor=staff,
        )
    for tariff, quantity, with_option in recurring:
        option = tariff.options.first() if with_option else None
        quote_add_recurring(
            quote=quote,
            tariff=tariff,
            actor=staff,
            start_on=sent_on + timedelta(days=14),
            quantity=Decimal(quantity),
            options=[OptionIn(option, 2)] if option is not None else [],
        )
    quote_update(
        quote=quote,
        actor=staff,
        introduction="Thank you for your interest. Here is our offer, as discussed.",
    )
    return quote_send(quote=quote, actor=staff, today=sent_on)


def seed_quotes(tenant: Tenant, tariffs: dict[str, Tariff], today: date) -> None:
    second = Customer.objects.filter(tenant=tenant).order_by("number")[1]
    with_option, plain = (tariffs[key] for key in QUOTED_TARIFFS[tenant.slug])
    if not Quote.objects.filter(tenant=tenant).exists():
        _answered_and_pending(tenant, today, with_option, plain)
    if not QuoteRequest.objects.filter(tenant=tenant).exists():
        quote_request_create(
            customer=second,
            actor=second.contacts.get(role="owner").user,
            items=[ItemIn(tariff=plain, quantity=2)],
            note="We open a second office in spring: what would two more seats cost?",
        )


def _answered_and_pending(tenant: Tenant, today: date, with_option: Tariff, plain: Tariff) -> None:
    first, second, third = Customer.objects.filter(tenant=tenant).order_by("number")[:3]
    # Sent in the order of their dates, so their numbers follow the calendar.
    _quote(
        tenant,
        third,
        title="Annual maintenance",
        sent_on=today - timedelta(days=45),
        one_off=[("Maintenance visit", "4", "180.00")],
    )
    declined = _quote(
        tenant,
        second,
        title="Premium plan",
        sent_on=today - timedelta(days=20),
        one_off=[("Set-up", "1", "350.00")],
        recurring=((with_option, 5, True),),
    )
    converted = _quote(
        tenant,
        third,
        title="Second site",
        sent_on=today - timedelta(days=10),
        one_off=[("Data migration", "1", "600.00")],
        recurring=((plain, 1, False),),
    )
    _quote(
        tenant,
        first,
        title="Growing the team",
        sent_on=today,
        one_off=[("Onboarding workshop", "2", "450.00"), ("Travel expenses", "1", "120.50")],
        recurring=((with_option, 3, True),),
    )
    quotes_expire_due(tenant=tenant, today=today, actor=SYSTEM)  # as overnight: the first one
    quote_decline(
        quote=declined,
        actor=second.contacts.get(role="owner").user,
        reason="We chose a smaller plan for now; let us talk again next year.",
        today=today,
    )
    owner = third.contacts.get(role="owner")
    terms = current_terms(converted)
    quote_approve(
        quote=converted,
        actor=owner.user,
        approval=Approval(
            accepted_terms=True,
            terms_id=terms.pk if terms else None,
            name=owner.user.full_name or owner.user.email,
            ip="192.0.2.10",
            user_agent="Mozilla/5.0 (demo)",
        ),
        today=today,
    )
