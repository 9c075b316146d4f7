"""Quote requests: a customer asks for a quote, picking tariffs and options from the catalogue;
the business's staff are e-mailed and turn the request into a draft quote in the back office."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from core.audit import audit_record
from core.emails import send_templated
from core.models import StaffMembership, Tenant, User
from core.roles import StaffRole, SystemActor, require, staff_role_at_least
from core.tenancy import link_base
from quotes.models import Quote, QuoteRequest, QuoteRequestItem, RequestStatus
from quotes.services import OptionIn, quote_add_recurring, quote_create_draft, quote_update
from quotes.tasks import send_quote_request_email
from subscriptions.models import Option, Tariff

MAX_ITEMS = 20


@dataclass(frozen=True)
class ItemIn:
    tariff: Tariff
    quantity: int = 1
    options: list[Option] = field(default_factory=list)


@transaction.atomic
def quote_request_create(
    *, customer: Customer, actor: User, items: list[ItemIn], note: str = ""
) -> QuoteRequest:
    """Record the request and e-mail the business once it is committed."""
    tenant = customer.tenant
    require(actor, "quote.request", tenant=tenant, customer_id=customer.pk)
    if not items and not note.strip():
        raise ValidationError(
            _("Choose at least one tariff, or tell us what you need in the note."), code="empty"
        )
    if len(items) > MAX_ITEMS:
        raise ValidationError(_("Ask for at most %(n)s items at once."), params={"n": MAX_ITEMS})
    if len({item.tariff.currency for item in items}) > 1:
        # One quote, one currency: ask for tariffs in different currencies one at a time.
        raise ValidationError(
            _("Choose tariffs sold in one currency; ask for the others in another request."),
            code="currency",
        )
    for item in items:
        tariff = item.tariff
        if tariff.tenant_id != tenant.pk or not (tariff.is_active and tariff.module.is_active):
            raise ValidationError(_("This tariff is not on sale."), code="tariff")
        if item.quantity < 1:
            raise ValidationError(_("Ask for at least one."), code="quantity")
        offered = {o.pk for o in item.tariff.options.all()}
        if any(o.pk not in offered for o in item.options):
            raise ValidationError(
                _("An add-on option you chose is not offered with %(tariff)s."),
                params={"tariff": item.tariff},
                code="option",
            )
    request = QuoteRequest.objects.create(
        tenant=tenant, customer=customer, requested_by=actor, note=note.strip()
    )
    for item in items:
        row = QuoteRequestItem.objects.create(
            tenant=tenant, request=request, tariff=item.tariff, quantity=item.quantity
        )
        row.options.set(item.options)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="quote_request.create",
        obj=request,
        after={"items": [str(i.tariff) for i in items], "note": request.note},
    )
    request_pk = request.pk
    transaction.on_commit(lambda: send_quote_request_email.delay(request_pk))
    return request


def staff_to_notify(tenant: Tenant) -> list[str]:
    """The business's notification addresses, else its active staff who may draft quotes."""
    if tenant.notification_emails:
        return list(tenant.notification_emails)
    return [
        m.user.email
        for m in StaffMembership.objects.filter(tenant=tenant, is_active=True).select_related(
            "user"
        )
        if staff_role_at_least(m.role, StaffRole.BILLING)
    ]


def send_quote_request_notice(request_id: int) -> bool:
    with transaction.atomic():
        # Only the request's row is locked: PostgreSQL refuses FOR UPDATE on the nullable side
        # of the outer join to `requested_by`.
        request = (
            QuoteRequest.objects.select_for_update(of=("self",))
            .select_related("tenant", "customer", "requested_by")
            .get(pk=request_id)
        )
        if request.notified_at is not None:
            return False
        tenant = request.tenant
        recipients = staff_to_notify(tenant)
        if recipients:
            send_templated(
                prefix="emails/quote_requested",
                to=recipients,
                context={
                    "request": request,
                    "customer": request.customer,
                    "items": list(
                        request.items.select_related("tariff").prefetch_related("options")
                    ),
                    "link": link_base(tenant) + f"/manage/quotes/quoterequest/{request.pk}/change/",
                },
                language=tenant.locale,
                tenant=tenant,
            )
        request.notified_at = timezone.now()
        request.save(update_fields=["notified_at"])
    return bool(recipients)


@transaction.atomic
def quote_request_to_draft(
    *, request: QuoteRequest, actor: User | SystemActor, today: date
) -> Quote:
    """A draft quote with one recurring line per requested tariff (catalogue prices, starting
    today), the customer's note as its introduction; the request is marked quoted. Once."""
    require(actor, "quotes.manage", tenant=request.tenant)
    request = (
        QuoteRequest.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=request.pk)
    )
    if request.quote_id is not None or request.status != RequestStatus.OPEN:
        raise ValidationError(_("This request was handled already."), code="handled")
    quote = quote_create_draft(customer=request.customer, actor=actor, today=today)
    items = list(request.items.select_related("tariff").prefetch_related("options"))
    currencies = {item.tariff.currency for item in items}  # one at most (quote_request_create)
    fields = {"introduction": request.note} if request.note else {}
    if currencies:
        fields["currency"] = currencies.pop()
    if fields:
        quote = quote_update(quote=quote, actor=actor, **fields)
    for item in items:
        quote_add_recurring(
            quote=quote,
            tariff=item.tariff,
            actor=actor,
            start_on=today,
            quantity=item.quantity,
            options=[OptionIn(o) for o in item.options.all()],
        )
    request.quote = quote
    request.status = RequestStatus.QUOTED
    request.save(update_fields=["quote", "status"])
    audit_record(
        tenant=request.tenant,
        actor=actor,
        action="quote_request.to_draft",
        obj=request,
        after={"quote": quote.pk},
    )
    return quote


@transaction.atomic
def quote_request_close(*, request: QuoteRequest, actor: User | SystemActor) -> QuoteRequest:
    """Staff answered it another way (a call, a refusal): no quote will be drafted from it."""
    require(actor, "quotes.manage", tenant=request.tenant)
    request = QuoteRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.OPEN:
        raise ValidationError(_("This request was handled already."), code="handled")
    request.status = RequestStatus.CLOSED
    request.save(update_fields=["status"])
    audit_record(tenant=request.tenant, actor=actor, action="quote_request.close", obj=request)
    return request
