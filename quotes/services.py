"""Writes on quotes by the business: drafts and their lines, send, withdraw, revise, duplicate,
expire. One transaction each, under the quote's row lock, moving along QUOTE_TRANSITIONS with
an event row and an audit entry. The customer's side (approve, decline) is in quotes.approval.

Amounts come from billing's calculation code (`line_amounts`, `totals`,
`invoice_finalization`), never a copy: a quote's one-off total is what an invoice of the same
lines comes to, and a recurring line's amounts are what the billing run will bill per period."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.documents.calculations import LineAmounts, line_amounts, totals
from billing.documents.finalization import (
    LineIn,
    buyer_snapshot,
    invoice_finalization,
    seller_snapshot,
)
from billing.documents.models import NumberSeries
from billing.documents.numbering import take_number
from billing.documents.services import default_tax_rate
from contracts.models import Customer
from core.audit import audit_record
from core.models import Tenant, User
from core.money import round_money
from core.roles import SystemActor, acting_user, require
from quotes.models import (
    QUOTE_TRANSITIONS,
    DepositKind,
    LineKind,
    Quote,
    QuoteEvent,
    QuoteLine,
    QuoteLineOption,
    QuoteRequest,
    QuoteStatus,
    RequestStatus,
)
from quotes.tasks import send_quote_email
from subscriptions.models import Option, Tariff

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
        raise ValidationError(
            _("This quote cannot be changed that way any more (%(status)s)."),
            params={"status": quote.get_status_display()},
            code="transition",
        )
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


def locked_draft(quote: Quote) -> Quote:
    quote = locked_quote(quote)
    if quote.status != QuoteStatus.DRAFT:
        raise ValidationError(
            _("Only draft quotes can be edited; revise a sent quote instead."), code="sent"
        )
    return quote


# ---------------------------------------------------------------------------------------------
# Amounts


def recurring_line_amounts(
    *,
    quantity: Decimal,
    unit_price: Decimal,
    options: Iterable,
    months: int,
    rate: Decimal,
    currency: str,
) -> LineAmounts:
    """One period of a recurring line, as the billing run will invoice it: the tariff's line
    and one line per option (its monthly price times the interval), each rounded, then summed."""
    parts = [
        line_amounts(quantity=quantity, unit_price=unit_price, tax_rate=rate, currency=currency)
    ]
    parts += [
        line_amounts(
            quantity=Decimal(o.quantity),
            unit_price=o.unit_price * months,
            tax_rate=rate,
            currency=currency,
        )
        for o in options
    ]
    net = sum((p.net for p in parts), Decimal(0))
    tax = sum((p.tax for p in parts), Decimal(0))
    return LineAmounts(net, tax, net + tax)


def _price(line: QuoteLine, currency: str) -> None:
    if line.is_recurring:
        amounts = recurring_line_amounts(
            quantity=line.quantity,
            unit_price=line.unit_price,
            options=line.options.all(),
            months=line.tariff.interval_months,
            rate=line.tax_rate,
            currency=currency,
        )
    else:
        amounts = line_amounts(
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            currency=currency,
        )
    line.net_amount, line.tax_amount, line.gross_amount = amounts.net, amounts.tax, amounts.gross


def deposit_nets(quote: Quote, one_off: list[QuoteLine]) -> list[tuple[Decimal, Decimal]]:
    """The deposit's net amount per VAT rate of the one-off lines (the same rates as the
    goods it is paid on): a share of each rate's net for a percentage; for a fixed amount, each
    rate's share of it, less that rate's VAT."""
    summed = totals(one_off)
    currency = quote.currency
    if quote.deposit_kind == DepositKind.PERCENT:
        share = quote.deposit_value / HUNDRED
        return [
            (rate, round_money(net * share, currency))
            for rate, (net, _tax) in summed.tax_by_rate.items()
        ]
    target = min(quote.deposit_value, summed.gross)
    nets = []
    for rate, (net, tax) in summed.tax_by_rate.items():
        gross_share = target * (net + tax) / summed.gross if summed.gross else Decimal(0)
        nets.append((rate, round_money(gross_share / (1 + rate / HUNDRED), currency)))
    return nets


def deposit_amount(quote: Quote, one_off: list[QuoteLine]) -> Decimal:
    """What the deposit invoice will come to, through the invoice's own line rounding."""
    return sum(
        (
            line_amounts(
                quantity=Decimal(1), unit_price=net, tax_rate=rate, currency=quote.currency
            ).gross
            for rate, net in deposit_nets(quote, one_off)
        ),
        Decimal(0),
    )


def _reprice(quote: Quote) -> None:
    """Recompute every line and the cached totals of a draft (the caller holds its lock)."""
    lines = list(quote.lines.select_related("tariff").prefetch_related("options"))
    for line in lines:
        _price(line, quote.currency)
        line.save(update_fields=["net_amount", "tax_amount", "gross_amount"])
    _set_totals(quote, [li for li in lines if not li.is_recurring])


def _set_totals(quote: Quote, one_off: list) -> None:
    summed = totals(one_off)
    quote.net_amount, quote.tax_amount, quote.gross_amount = summed.net, summed.tax, summed.gross
    quote.deposit_amount = deposit_amount(quote, one_off) if quote.deposit_kind else Decimal(0)


def _check_deposit(quote: Quote) -> None:
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
    _reprice(locked)
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
    _reprice(quote)
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


def tariff_price(tariff: Tariff) -> Decimal:
    """A tariff's price per period for one unit: its price list summed."""
    return sum((p.unit_price for p in tariff.prices.all()), Decimal(0))


def _check_recurring(quote: Quote, tariff: Tariff, quantity: Decimal, options) -> None:
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
    offered = {o.pk for o in tariff.options.all()}
    for item in options:
        if item.option.pk not in offered:
            raise ValidationError(
                _("%(option)s is not offered with %(tariff)s."),
                params={"option": item.option, "tariff": tariff},
                code="option",
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
    _check_recurring(quote, tariff, quantity, options)
    line = QuoteLine.objects.create(
        tenant=quote.tenant,
        quote=quote,
        position=_next_position(quote),
        kind=LineKind.RECURRING,
        description=str(tariff),
        quantity=quantity,
        unit_price=tariff_price(tariff) if unit_price is None else Decimal(unit_price),
        tax_rate=default_tax_rate(quote.tenant),
        tariff=tariff,
        start_on=start_on,
    )
    QuoteLineOption.objects.bulk_create(
        QuoteLineOption(
            tenant=quote.tenant,
            line=line,
            option=item.option,
            quantity=item.quantity,
            unit_price=item.option.unit_price if item.unit_price is None else item.unit_price,
        )
        for item in options
    )
    _reprice(quote)
    quote.save()
    audit_record(
        tenant=quote.tenant,
        actor=actor,
        action="quote.line_add",
        obj=quote,
        after={"tariff": str(tariff), "quantity": quantity, "start_on": start_on},
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
            _check_recurring(quote, line.tariff, Decimal(line.quantity), [])
            if line.start_on is None:
                line.start_on = timezone.localdate()
            if not line.description:
                line.description = str(line.tariff)
        else:
            line.kind = LineKind.ONE_OFF
            line.start_on = None
            if line.tax_rate is None:
                line.tax_rate = default_rate
        if line.position is None:
            line.position = _next_position(quote)
        line.save()
    for line in deleted:
        line.delete()
    _reprice(quote)
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
    _check_recurring(quote, line.tariff, Decimal(line.quantity), options)
    before = [str(o) for o in line.options.select_related("option")]
    line.options.all().delete()
    QuoteLineOption.objects.bulk_create(
        QuoteLineOption(
            tenant=quote.tenant,
            line=line,
            option=item.option,
            quantity=item.quantity,
            unit_price=item.option.unit_price if item.unit_price is None else item.unit_price,
        )
        for item in options
    )
    _reprice(quote)
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
    quote.delete()


# ---------------------------------------------------------------------------------------------
# Send, withdraw, expire


@transaction.atomic
def quote_send(*, quote: Quote, actor: User | SystemActor, today: date) -> Quote:
    """Number it (gapless; a revision keeps its number), freeze seller, buyer, VAT regime and
    amounts as an invoice's at finalization, then render and store its PDF and e-mail it to
    the customer's invoice recipients once the transaction commits."""
    require(actor, "quotes.manage", tenant=quote.tenant)
    quote = locked_draft(quote)
    lines = list(quote.lines.select_related("tariff").prefetch_related("options"))
    if not lines:
        raise ValidationError(_("A quote needs at least one line."), code="empty")
    if quote.valid_until is None or quote.valid_until < today:
        raise ValidationError(_("Set a validity date that is not in the past."), code="valid_until")
    customer = quote.customer
    if customer.closed_at is not None:
        raise ValidationError(_("This customer's account is closed."), code="closed")
    for line in lines:
        _price(line, quote.currency)
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
    )
    for line, amounts in zip(lines, final.lines, strict=True):
        if line.is_recurring:
            if amounts.tax_rate == 0 and line.tax_rate != 0:  # zeroed by the VAT regime
                line.tax_rate = Decimal(0)
                _price(line, quote.currency)
        else:
            line.tax_rate = amounts.tax_rate
            line.net_amount, line.tax_amount, line.gross_amount = (
                amounts.net_amount,
                amounts.tax_amount,
                amounts.gross_amount,
            )
        line.save(update_fields=["tax_rate", "net_amount", "tax_amount", "gross_amount"])
    _set_totals(quote, [li for li in lines if not li.is_recurring])
    _check_deposit(quote)
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
            quote = Quote.objects.select_for_update().select_related("tenant").get(pk=pk)
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
    _reprice(new)
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
    new = Quote.objects.create(
        tenant=quote.tenant,
        customer=customer,
        valid_until=today + timedelta(days=quote.tenant.quote_validity_days),
        **{name: getattr(quote, name) for name in _COPIED},
    )
    _copy_lines(quote, new)
    _reprice(new)
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
