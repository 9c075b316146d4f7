"""Writes on quote drafts by the business: the draft, its fields and its lines, and the row lock
and transition rule every write on a quote goes through. One transaction each, with an event
row per move and an audit entry. Sending, withdrawing, expiring, revising and duplicating are
in quotes.lifecycle; the customer's side (approve, decline) in quotes.approval; amounts in
quotes.amounts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.documents.calculations import allocate, totals
from billing.documents.selectors import default_tax_rate
from contracts.models import Customer
from core.audit import audit_record
from core.models import User
from core.roles import SystemActor, acting_user, require
from quotes.amounts import deposit_amount, price_line, tariff_price
from quotes.models import (
    QUOTE_TRANSITIONS,
    LineKind,
    Quote,
    QuoteEvent,
    QuoteLine,
    QuoteLineOption,
    QuoteRequest,
    QuoteStatus,
    RequestStatus,
)
from subscriptions.models import Option, Tariff
from subscriptions.periods import local_today
from subscriptions.services import tariff_label

HUNDRED = Decimal(100)

# ---------------------------------------------------------------------------------------------
# State


def locked_quote(quote: Quote) -> Quote:
    return (
        Quote.objects.select_for_update(of=("self",))
        .select_related("tenant", "customer")
        .get(pk=quote.pk)
    )


def move_quote(
    quote: Quote, to_status: str, *, kind: str, actor: User | SystemActor, data: dict | None = None
) -> None:
    """Change status along QUOTE_TRANSITIONS only; record the event and audit it. The caller
    holds the row lock and saves."""
    from_status = quote.status
    if to_status not in QUOTE_TRANSITIONS[from_status]:
        raise refuse_move(quote)
    quote.status = to_status
    QuoteEvent.objects.create(
        tenant=quote.tenant,
        quote=quote,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
        actor=acting_user(actor),
    )
    audit_record(
        tenant=quote.tenant,
        actor=actor,
        action=f"quote.{kind}",
        obj=quote,
        before={"status": from_status},
        after={"status": to_status, **(data or {})},
    )


def refuse_move(quote: Quote) -> ValidationError:
    return ValidationError(
        _("This quote cannot be changed that way any more (%(status)s)."),
        params={"status": quote.get_status_display()},
        code="transition",
    )


def locked_draft(quote: Quote) -> Quote:
    quote = locked_quote(quote)
    if quote.status != QuoteStatus.DRAFT:
        raise ValidationError(
            _("Only draft quotes can be edited; revise a sent quote instead."), code="sent"
        )
    return quote


def reprice(quote: Quote) -> None:
    """Recompute every line and the cached totals of a draft (the caller holds its lock)."""
    lines = list(quote.lines.select_related("tariff").prefetch_related("options"))
    for line in lines:
        price_line(line, quote.currency)
        line.save(update_fields=["net_amount", "tax_amount", "gross_amount"])
    set_totals(quote, [li for li in lines if not li.is_recurring])


def set_totals(quote: Quote, one_off: list) -> None:
    """The one-off lines' totals, VAT per rate rounded once (BR-CO-17), as their invoice will
    come to; each saved one-off line is given its share of its rate's VAT, so lines add up."""
    summed = totals(one_off, currency=quote.currency)
    shares = allocate(one_off, summed.tax_by_rate, quote.currency)
    for line, shared in zip(one_off, shares, strict=True):
        if line.pk and (line.tax_amount, line.gross_amount) != (shared.tax, shared.gross):
            line.tax_amount, line.gross_amount = shared.tax, shared.gross
            line.save(update_fields=["tax_amount", "gross_amount"])
    quote.net_amount, quote.tax_amount, quote.gross_amount = summed.net, summed.tax, summed.gross
    quote.deposit_amount = deposit_amount(quote, one_off) if quote.deposit_kind else Decimal(0)


def check_deposit(quote: Quote) -> None:
    if quote.deposit_kind and quote.deposit_value <= 0:
        raise ValidationError(_("Enter the deposit, or choose no deposit."), code="deposit")
    if quote.deposit_kind and quote.gross_amount <= 0:
        raise ValidationError(
            _("A deposit is a share of the one-off lines: add one, or choose no deposit."),
            code="deposit",
        )


# ---------------------------------------------------------------------------------------------
# Drafts


@transaction.atomic
def quote_create_draft(
    *,
    customer: Customer,
    actor: User | SystemActor,
    today: date,
    title: str = "",
    currency: str | None = None,
) -> Quote:
    tenant = customer.tenant
    require(actor, "quotes.manage", tenant=tenant)
    if customer.closed_at is not None:
        raise ValidationError(_("This customer's account is closed."), code="closed")
    quote = Quote.objects.create(
        tenant=tenant,
        customer=customer,
        title=title,
        currency=currency or tenant.default_currency,
        po_number=customer.po_number,
        valid_until=today + timedelta(days=tenant.quote_validity_days),
    )
    QuoteEvent.objects.create(
        tenant=tenant,
        quote=quote,
        kind="draft",
        from_status="",
        to_status=quote.status,
        actor=acting_user(actor),
    )
    audit_record(tenant=tenant, actor=actor, action="quote.draft", obj=quote)
    return quote


@transaction.atomic
def quote_update(*, quote: Quote, actor: User | SystemActor, **fields) -> Quote:
    """Staff's edits of a draft's own fields (title, texts, validity, PO number, deposit)."""
    require(actor, "quotes.manage", tenant=quote.tenant)
    locked = locked_draft(quote)
    editable = {
        "title",
        "introduction",
        "terms",
        "po_number",
        "valid_until",
        "deposit_kind",
        "deposit_value",
        "currency",
    }
    unknown = set(fields) - editable
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    before = {name: getattr(locked, name) for name in fields}
    for name, value in fields.items():
        setattr(locked, name, value)
    if not locked.deposit_kind:
        locked.deposit_value = Decimal(0)
    locked.full_clean(exclude=["tenant", "customer", "revision_of"])
    if locked.lines.filter(tariff__isnull=False).exclude(tariff__currency=locked.currency).exists():
        raise ValidationError(
            _("The quote's tariffs are sold in another currency."), code="currency"
        )
    reprice(locked)
    locked.save()
    audit_record(
        tenant=locked.tenant,
        actor=actor,
        action="quote.update",
        obj=locked,
        before=before,
        after=fields,
    )
    return locked


def tariff_line_description(quote: Quote, tariff) -> str:
    """A recurring line's text, "<module> — <tariff>", in the language the quote is written in
    (the customer's): staff may still reword it before sending."""
    language = quote.buyer.get("language") or quote.customer.language or quote.tenant.locale
    return f"{tariff.module.text_in('name', language)} — {tariff.text_in('name', language)}"


def _next_position(quote: Quote) -> int:
    last = quote.lines.order_by("-position").values_list("position", flat=True).first()
    return 0 if last is None else last + 1


@transaction.atomic
def quote_add_line(
    *,
    quote: Quote,
    description: str,
    unit_price: Decimal,
    actor: User | SystemActor,
    quantity: Decimal = Decimal(1),
    tax_rate: Decimal | None = None,
) -> QuoteLine:
    """A one-off line: free text, quantity, unit price, VAT rate (the business's default when
    none is given)."""
    require(actor, "quotes.manage", tenant=quote.tenant)
    quote = locked_draft(quote)
    line = QuoteLine(
        tenant=quote.tenant,
        quote=quote,
        position=_next_position(quote),
        kind=LineKind.ONE_OFF,
        description=description,
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        tax_rate=default_tax_rate(quote.tenant) if tax_rate is None else Decimal(tax_rate),
    )
    line.full_clean(exclude=["tenant", "quote"])
    line.save()
    reprice(quote)
    quote.save()
    audit_record(
        tenant=quote.tenant,
        actor=actor,
        action="quote.line_add",
        obj=quote,
        after={"description": description, "quantity": quantity, "unit_price": unit_price},
    )
    return line


@dataclass(frozen=True)
class OptionIn:
    option: Option
    quantity: int = 1
    unit_price: Decimal | None = None  # the catalogue's monthly price when not given


def check_recurring(
    quote: Quote, tariff: Tariff, quantity: Decimal, options, unit_price: Decimal | None = None
) -> None:
    """A recurring line the customer could approve: a tariff on sale in the quote's currency,
    whole units, options the tariff offers, no negative price."""
    if tariff.tenant_id != quote.tenant_id or not tariff.is_active:
        raise ValidationError(_("This tariff is not on sale."), code="tariff")
    if tariff.currency != quote.currency:
        raise ValidationError(
            _("This tariff is sold in %(currency)s, the quote is in %(quote)s."),
            params={"currency": tariff.currency, "quote": quote.currency},
            code="currency",
        )
    if quantity != quantity.to_integral_value() or quantity < 1:
        raise ValidationError(
            _("A subscription is ordered in whole units (1 or more)."), code="quantity"
        )
    if unit_price is not None and unit_price < 0:
        raise ValidationError(_("A price per period cannot be negative."), code="negative")
    offered = {o.pk for o in tariff.options.all()}
    for item in options:
        if item.option.pk not in offered:
            raise ValidationError(
                _("%(option)s is not offered with %(tariff)s."),
                params={"option": item.option, "tariff": tariff},
                code="option",
            )


def _offer_options(line: QuoteLine, options: list[OptionIn]) -> None:
    """Write a recurring line's options, at the catalogue's monthly price unless given."""
    QuoteLineOption.objects.bulk_create(
        QuoteLineOption(
            tenant=line.tenant,
            line=line,
            option=item.option,
            quantity=item.quantity,
            unit_price=item.option.unit_price if item.unit_price is None else item.unit_price,
        )
        for item in options
    )


@transaction.atomic
def quote_add_recurring(
    *,
    quote: Quote,
    tariff: Tariff,
    actor: User | SystemActor,
    start_on: date,
    quantity: Decimal = Decimal(1),
    unit_price: Decimal | None = None,
    options: Iterable[OptionIn] = (),
) -> QuoteLine:
    """A recurring line from the catalogue: the tariff at the quote's price per period (the
    catalogue's when not given), its add-on options, a start date. VAT is the business's
    default rate: the rate the billing run will charge on it."""
    require(actor, "quotes.manage", tenant=quote.tenant)
    quote = locked_draft(quote)
    options = list(options)
    quantity = Decimal(quantity)
    price = tariff_price(tariff) if unit_price is None else Decimal(unit_price)
    check_recurring(quote, tariff, quantity, options, unit_price=price)
    line = QuoteLine.objects.create(
        tenant=quote.tenant,
        quote=quote,
        position=_next_position(quote),
        kind=LineKind.RECURRING,
        description=tariff_line_description(quote, tariff),
        quantity=quantity,
        unit_price=price,
        tax_rate=default_tax_rate(quote.tenant),
        tariff=tariff,
        start_on=start_on,
    )
    _offer_options(line, options)
    reprice(quote)
    quote.save()
    audit_record(
        tenant=quote.tenant,
        actor=actor,
        action="quote.line_add",
        obj=quote,
        after={"tariff": tariff_label(tariff), "quantity": quantity, "start_on": start_on},
    )
    return line


@transaction.atomic
def quote_lines_save(
    *,
    quote: Quote,
    lines: list[QuoteLine],
    deleted: list[QuoteLine],
    actor: User | SystemActor,
) -> None:
    """Staff's edits to a draft's lines (the back office's line table), priced like
    `quote_add_line`: one-off lines take the default VAT rate where none is given; recurring
    lines always carry the default rate, the one the billing run charges."""
    require(actor, "quotes.manage", tenant=quote.tenant)
    quote = locked_draft(quote)
    default_rate = default_tax_rate(quote.tenant)
    for line in lines:
        line.tenant, line.quote = quote.tenant, quote
        if line.tariff_id is not None:
            line.kind = LineKind.RECURRING
            line.tax_rate = default_rate
            check_recurring(
                quote, line.tariff, Decimal(line.quantity), [], unit_price=line.unit_price
            )
            if line.start_on is None:
                line.start_on = local_today(timezone.now(), quote.tenant.timezone)
            if not line.description:
                line.description = tariff_line_description(quote, line.tariff)
        else:
            line.kind = LineKind.ONE_OFF
            line.start_on = None
            if line.tax_rate is None:
                line.tax_rate = default_rate
        if line.position is None:
            line.position = _next_position(quote)
        line.save()
        # Options offered with another tariff (or with none, for a one-off line) go: the
        # customer could never be given them.
        stale = QuoteLineOption.objects.filter(line=line)
        if line.tariff_id is not None:
            stale = stale.exclude(option__in=line.tariff.options.all())
        stale.delete()
    for line in deleted:
        line.delete()
    reprice(quote)
    quote.save()
    audit_record(tenant=quote.tenant, actor=actor, action="quote.lines_save", obj=quote)


@transaction.atomic
def quote_line_options_save(
    *, line: QuoteLine, options: Iterable[OptionIn], actor: User | SystemActor
) -> QuoteLine:
    """Staff's add-on options of a draft's recurring line (the back office's options page),
    replacing those it had: each one its tariff offers, once, at the quote's monthly price
    (the catalogue's when not given); the line and the quote are priced again."""
    require(actor, "quotes.manage", tenant=line.tenant)
    quote = locked_draft(line.quote)
    line = quote.lines.select_related("tariff").get(pk=line.pk)
    if not line.is_recurring:
        raise ValidationError(_("Only recurring lines have add-on options."), code="one_off")
    options = list(options)
    if len({item.option.pk for item in options}) != len(options):
        raise ValidationError(_("Offer each add-on option once."), code="option_twice")
    check_recurring(quote, line.tariff, Decimal(line.quantity), options)
    before = [str(o) for o in line.options.select_related("option")]
    line.options.all().delete()
    _offer_options(line, options)
    reprice(quote)
    quote.save()
    audit_record(
        tenant=quote.tenant,
        actor=actor,
        action="quote.line_options_save",
        obj=quote,
        before={"line": str(line), "options": before},
        after={"line": str(line), "options": [f"{o.option} × {o.quantity}" for o in options]},
    )
    return line


@transaction.atomic
def quote_delete_draft(*, quote: Quote, actor: User | SystemActor) -> None:
    require(actor, "quotes.manage", tenant=quote.tenant)
    quote = locked_draft(quote)
    audit_record(tenant=quote.tenant, actor=actor, action="quote.draft_delete", obj=quote)
    # A request this draft answered is open again: its customer still waits for a quote.
    QuoteRequest.objects.filter(quote=quote).update(status=RequestStatus.OPEN, quote=None)
    if quote.revision_of_id is not None:
        # A revision dropped before it was sent: the version it replaced answers again, in
        # the status it had (the hourly expiry catches it if its validity ran out meanwhile).
        old = locked_quote(quote.revision_of)
        superseded = old.events.filter(kind="superseded").order_by("-created_at", "-id").first()
        back_to = superseded.from_status if superseded else QuoteStatus.SENT
        move_quote(
            old, back_to, kind="revision_dropped", actor=actor, data={"version": quote.version}
        )
        old.save(update_fields=["status"])
    quote.delete()
