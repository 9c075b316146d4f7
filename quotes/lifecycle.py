"""A quote's life after its draft: send (numbered, frozen, PDF and e-mail), withdraw, expire
(by staff, and hourly for quotes past their validity), revise into a new version, duplicate.
Every move under the quote's row lock, along QUOTE_TRANSITIONS (quotes.services.move_quote)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.documents.finalization import (
    LineIn,
    buyer_snapshot,
    invoice_finalization,
    seller_snapshot,
)
from billing.documents.models import NumberSeries
from billing.documents.numbering import take_number
from billing.documents.selectors import exchange_rate_for
from contracts.models import Customer
from core.audit import audit_record
from core.models import Tenant, User
from core.roles import SystemActor, acting_user, require
from quotes.amounts import price_line
from quotes.models import Quote, QuoteEvent, QuoteStatus
from quotes.services import (
    check_deposit,
    check_recurring,
    locked_draft,
    locked_quote,
    move_quote,
    refuse_move,
    reprice,
    set_totals,
)
from quotes.tasks import send_quote_email


@transaction.atomic
def quote_send(*, quote: Quote, actor: User | SystemActor, today: date) -> Quote:
    """Number it (gapless; a revision keeps its number), freeze seller, buyer, VAT regime and
    amounts as an invoice's at finalization, then render and store its PDF and e-mail it to
    the customer's invoice recipients once the transaction commits."""
    require(actor, "quotes.manage", tenant=quote.tenant)
    quote = locked_draft(quote)
    lines = list(quote.lines.select_related("tariff").prefetch_related("options__option"))
    if not lines:
        raise ValidationError(_("A quote needs at least one line."), code="empty")
    if quote.valid_until is None or quote.valid_until < today:
        raise ValidationError(_("Set a validity date that is not in the past."), code="valid_until")
    customer = quote.customer
    if customer.closed_at is not None:
        raise ValidationError(_("This customer's account is closed."), code="closed")
    for line in lines:
        if line.is_recurring:  # still on sale, with options still offered, since drafted
            check_recurring(
                quote, line.tariff, line.quantity, line.options.all(), unit_price=line.unit_price
            )
        price_line(line, quote.currency)
    final = invoice_finalization(
        customer=customer,
        currency=quote.currency,
        lines=[
            LineIn(
                li.quantity,
                li.unit_price,
                li.tax_rate,
                li.net_amount,
                li.tax_amount,
                li.gross_amount,
            )
            for li in lines
        ],
        today=today,
        seller=seller_snapshot(quote.tenant),
        buyer={**buyer_snapshot(customer), "po_number": quote.po_number},
        # A quote states the VAT in the business's currency where a rate is known; its
        # invoice is held to the rate when issued.
        exchange_rate=exchange_rate_for(tenant=quote.tenant, currency=quote.currency, day=today),
        without_rate=True,
    )
    for line, amounts in zip(lines, final.lines, strict=True):
        if line.is_recurring:
            if amounts.tax_rate == 0 and line.tax_rate != 0:  # zeroed by the VAT regime
                line.tax_rate = Decimal(0)
                price_line(line, quote.currency)
        else:
            line.tax_rate = amounts.tax_rate
            line.net_amount, line.tax_amount, line.gross_amount = (
                amounts.net_amount,
                amounts.tax_amount,
                amounts.gross_amount,
            )
        line.save(update_fields=["tax_rate", "net_amount", "tax_amount", "gross_amount"])
    set_totals(quote, [li for li in lines if not li.is_recurring])
    if quote.gross_amount < 0:
        raise ValidationError(_("A quote cannot come to less than zero."), code="negative")
    check_deposit(quote)
    quote.seller, quote.buyer, quote.vat_regime = final.seller, final.buyer, final.vat_regime
    quote.issue_date = today
    quote.sent_at = timezone.now()
    if not quote.number:
        quote.number = take_number(
            tenant=quote.tenant,
            series=NumberSeries.QUOTE,
            pattern=quote.tenant.quote_number_format,
            issue_date=today,
            numbered=Quote,
        )
    move_quote(
        quote,
        QuoteStatus.SENT,
        kind="sent",
        actor=actor,
        data={"number": quote.number, "version": quote.version, "gross": quote.gross_amount},
    )
    quote.save()
    quote_pk = quote.pk
    transaction.on_commit(lambda: send_quote_email.delay(quote_pk))
    return quote


@transaction.atomic
def quote_withdraw(*, quote: Quote, actor: User | SystemActor, reason: str = "") -> Quote:
    require(actor, "quotes.manage", tenant=quote.tenant)
    quote = locked_quote(quote)
    move_quote(quote, QuoteStatus.WITHDRAWN, kind="withdrawn", actor=actor, data={"reason": reason})
    quote.save(update_fields=["status"])
    return quote


@transaction.atomic
def quote_expire(*, quote: Quote, actor: User | SystemActor) -> Quote:
    """Staff's "mark expired", and the daily job's for quotes past their validity."""
    require(actor, "quotes.manage", tenant=quote.tenant)
    quote = locked_quote(quote)
    if quote.status != QuoteStatus.SENT:  # a superseded one comes back only with its revision
        raise refuse_move(quote)
    move_quote(
        quote,
        QuoteStatus.EXPIRED,
        kind="expired",
        actor=actor,
        data={"valid_until": quote.valid_until},
    )
    quote.save(update_fields=["status"])
    return quote


def quotes_expire_due(*, tenant: Tenant, today: date, actor: User | SystemActor) -> int:
    """Expire this business's sent quotes whose validity ended before `today` (its own
    calendar day). Each in its own transaction; one approved meanwhile is left alone."""
    due = Quote.objects.filter(
        tenant=tenant, status=QuoteStatus.SENT, valid_until__lt=today
    ).values_list("pk", flat=True)
    expired = 0
    for pk in list(due):
        with transaction.atomic():
            quote = (
                Quote.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=pk)
            )
            if quote.status != QuoteStatus.SENT or not quote.is_past_validity(today):
                continue
            quote_expire(quote=quote, actor=actor)
            expired += 1
    return expired


# ---------------------------------------------------------------------------------------------
# Revise, duplicate


def _copy_lines(source: Quote, target: Quote) -> None:
    for line in source.lines.prefetch_related("options"):
        options = list(line.options.all())
        line.pk = None
        line.quote = target
        line.save()
        for option in options:
            option.pk = None
            option.line = line
            option.save()


_COPIED = (
    "title",
    "introduction",
    "terms",
    "po_number",
    "currency",
    "deposit_kind",
    "deposit_value",
)


@transaction.atomic
def quote_revise(*, quote: Quote, actor: User | SystemActor, today: date) -> Quote:
    """A new version of a sent (or expired) quote, as a draft under the same number, with its
    lines; the old version is marked superseded at once (so it can no longer be approved) and
    stays visible."""
    require(actor, "quotes.manage", tenant=quote.tenant)
    old = locked_quote(quote)
    move_quote(
        old,
        QuoteStatus.SUPERSEDED,
        kind="superseded",
        actor=actor,
        data={"version": old.version + 1},
    )
    old.save(update_fields=["status"])
    new = Quote.objects.create(
        tenant=old.tenant,
        customer=old.customer,
        number=old.number,
        version=old.version + 1,
        revision_of=old,
        valid_until=today + timedelta(days=old.tenant.quote_validity_days),
        **{name: getattr(old, name) for name in _COPIED},
    )
    _copy_lines(old, new)
    reprice(new)
    new.save()
    QuoteEvent.objects.create(
        tenant=new.tenant,
        quote=new,
        kind="revision",
        from_status="",
        to_status=new.status,
        data={"of": old.pk},
        actor=acting_user(actor),
    )
    audit_record(
        tenant=new.tenant,
        actor=actor,
        action="quote.revise",
        obj=new,
        before={"version": old.version},
        after={"version": new.version},
    )
    return new


@transaction.atomic
def quote_duplicate(
    *, quote: Quote, actor: User | SystemActor, today: date, customer: Customer | None = None
) -> Quote:
    """A new draft with the same lines and texts, for the same customer or another one of the
    business; it gets its own number when sent."""
    require(actor, "quotes.manage", tenant=quote.tenant)
    customer = customer or quote.customer
    if customer.tenant_id != quote.tenant_id:
        raise ValidationError(_("Choose a customer of this business."), code="customer")
    if customer.closed_at is not None:
        raise ValidationError(_("This customer's account is closed."), code="closed")
    copied = {name: getattr(quote, name) for name in _COPIED}
    if customer.pk != quote.customer_id:
        copied["po_number"] = customer.po_number  # the other customer's order, not this one's
    new = Quote.objects.create(
        tenant=quote.tenant,
        customer=customer,
        valid_until=today + timedelta(days=quote.tenant.quote_validity_days),
        **copied,
    )
    _copy_lines(quote, new)
    reprice(new)
    new.save()
    QuoteEvent.objects.create(
        tenant=new.tenant,
        quote=new,
        kind="duplicate",
        from_status="",
        to_status=new.status,
        data={"of": quote.pk},
        actor=acting_user(actor),
    )
    audit_record(
        tenant=new.tenant, actor=actor, action="quote.duplicate", obj=new, after={"of": str(quote)}
    )
    return new
