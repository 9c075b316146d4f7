"""Writes on subscriptions: order, change tariff, cancel, undo, options, and the daily job that
applies what was scheduled. Every one takes the day it happens (`today`, in the tenant's time
zone), runs in one transaction under a row lock, writes an event row and an audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from contracts.services import customer_close
from core.audit import audit_record
from core.models import Tenant, User
from core.money import round_money
from core.roles import SYSTEM, ContactRole, SystemActor, acting_user, may, require
from subscriptions import periods
from subscriptions.models import (
    SUBSCRIPTION_TRANSITIONS,
    CancellationRequest,
    CancellationRequestStatus,
    Option,
    PendingCharge,
    Subscription,
    SubscriptionEvent,
    SubscriptionOption,
    SubscriptionStatus,
    Tariff,
    price_item,
)
from subscriptions.orders import order_create
from subscriptions.tasks import send_subscription_confirmation

# ---------------------------------------------------------------------------------------------
# Amounts


def tariff_label(tariff: Tariff, language: str | None = None) -> str:
    """ "Module — Tariff" in `language`, else the business's own texts: what records keep, never
    the language of whoever's page wrote them."""
    return f"{tariff.module.text_in('name', language)} — {tariff.text_in('name', language)}"


def _in_documents(tariff: Tariff, subscription: Subscription) -> str:
    """The tariff's label in the customer's document language (its events feed its e-mails)."""
    customer = subscription.customer
    return tariff_label(tariff, customer.language or subscription.tenant.locale)


def subscription_period_amount(subscription: Subscription) -> Decimal:
    """What one period costs: each line rounded to the currency, then summed (DESIGN.md)."""
    currency = subscription.currency
    lines = [
        round_money(Decimal(item["unit_price"]) * subscription.quantity, currency)
        for item in subscription.price_items
    ]
    months = subscription.interval_months
    lines += [
        round_money(o.unit_price * o.quantity * months, currency)
        for o in subscription.options.all()
    ]
    return sum(lines, Decimal(0))


def tariff_period_amount(subscription: Subscription, tariff: Tariff) -> Decimal:
    """What one period would cost on `tariff`, with this subscription's quantity and the
    options that tariff offers too."""
    currency = subscription.currency
    lines = [
        round_money(p.unit_price * subscription.quantity, currency) for p in tariff.prices.all()
    ]
    allowed = {o.pk for o in tariff.options.all()}
    # Options are priced per month; a period of the target tariff lasts its interval.
    lines += [
        round_money(o.unit_price * o.quantity * tariff.interval_months, currency)
        for o in subscription.options.all()
        if o.option_id in allowed
    ]
    return sum(lines, Decimal(0))


def _lock_customer(customer: Customer) -> Customer:
    return Customer.objects.select_for_update().select_related("tenant").get(pk=customer.pk)


def _locked(subscription: Subscription) -> Subscription:
    # The subscription's row only: locking its business's and tariff's rows too would queue
    # every activation, expiry and change of a business behind one another.
    return (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("tenant", "tariff")
        .get(pk=subscription.pk)
    )


def _move(
    subscription: Subscription, to_status: str, *, kind: str, actor: User | SystemActor, data: dict
) -> SubscriptionEvent:
    """Change status along SUBSCRIPTION_TRANSITIONS only; record the event and audit it."""
    from_status = subscription.status
    if to_status not in SUBSCRIPTION_TRANSITIONS[from_status]:
        raise ValidationError(
            _("This subscription cannot be changed any more (%(status)s)."),
            params={"status": subscription.get_status_display()},
            code="transition",
        )
    subscription.status = to_status
    return _record(subscription, from_status, kind=kind, actor=actor, data=data)


def _record(
    subscription: Subscription,
    from_status: str,
    *,
    kind: str,
    actor: User | SystemActor,
    data: dict,
) -> SubscriptionEvent:
    event = SubscriptionEvent.objects.create(
        tenant=subscription.tenant,
        subscription=subscription,
        kind=kind,
        from_status=from_status,
        to_status=subscription.status,
        data=data,
        actor=acting_user(actor),
    )
    audit_record(
        tenant=subscription.tenant,
        actor=actor,
        action=f"subscription.{kind}",
        obj=subscription,
        before={"status": from_status},
        after={"status": subscription.status, **data},
    )
    return event


def _confirm(event: SubscriptionEvent) -> None:
    """E-mail the customer and the business about this event once the transaction commits."""
    transaction.on_commit(lambda: send_subscription_confirmation.delay(event.pk))


def _require_portal_right(subscription: Subscription, right: str) -> None:
    """The plan says what its subscribers may do themselves; staff are not limited by it."""
    allowed = {
        "cancel": subscription.tariff.portal_may_cancel,
        "change": subscription.tariff.portal_may_change,
    }[right]
    if not allowed:
        raise PermissionDenied(gettext("Your plan does not allow this in the customer portal."))


def _snapshot_tariff(subscription: Subscription, tariff: Tariff) -> None:
    subscription.tariff = tariff
    subscription.currency = tariff.currency
    subscription.price_items = [
        price_item(p.description, p.unit_price, p.translations) for p in tariff.prices.all()
    ]
    subscription.interval_months = tariff.interval_months
    subscription.minimum_term_months = tariff.minimum_term_months
    subscription.notice_period_days = tariff.notice_period_days
    subscription.change_notice_days = tariff.change_notice_days


# ---------------------------------------------------------------------------------------------
# Order


@transaction.atomic
def subscription_order(
    *,
    customer: Customer,
    tariff: Tariff,
    actor: User | SystemActor,
    start_on: date,
    quantity: int = 1,
    remaining_cycles: int | None = None,
    price_items: list[dict] | None = None,
    options: Sequence[tuple[Option, int, Decimal]] = (),
    pending: bool = False,
) -> Subscription:
    """Order a module on a tariff for a customer (staff, or the system for demo, imports,
    approved quotes and checkouts). `price_items` replaces the tariff's price list in the
    snapshot (a quote's negotiated price); `options` are booked at once as (option, quantity,
    monthly price). `pending`: a checkout's order, which starts only once its first invoice is
    paid (`subscription_activate`): confirmed then, not now."""
    require(actor, "subscription.manage", tenant=customer.tenant)
    customer = _lock_customer(customer)
    if customer.closed_at is not None:
        raise ValidationError(_("This customer's account is closed."), code="closed")
    if tariff.tenant_id != customer.tenant_id or not tariff.is_active:
        raise ValidationError(_("This tariff is not on sale."), code="tariff")
    subscription = subscription_draft(
        customer=customer, tariff=tariff, start_on=start_on, quantity=quantity
    )
    subscription.remaining_cycles = remaining_cycles
    if pending:
        subscription.status = SubscriptionStatus.PENDING
    if price_items is not None:
        subscription.price_items = price_items
    subscription.full_clean()
    subscription.save()
    offered = {o.pk for o in tariff.options.all()}
    for option, option_quantity, unit_price in options:
        if option.pk not in offered:
            raise ValidationError(
                _("%(option)s is not offered with %(tariff)s."),
                params={"option": option, "tariff": tariff},
                code="option",
            )
        SubscriptionOption.objects.create(
            tenant=customer.tenant,
            subscription=subscription,
            option=option,
            quantity=option_quantity,
            unit_price=unit_price,
            added_on=start_on,
        )
    ordered = SubscriptionEvent.objects.create(
        tenant=customer.tenant,
        subscription=subscription,
        kind="order",
        from_status="",
        to_status=subscription.status,
        data={"tariff": tariff.pk, "start_on": str(start_on)},
        actor=acting_user(actor),
    )
    if customer.contract_partner_id is None:
        # The contract partner is the contact of the first order: the account owner then.
        partner = customer.contacts.filter(role=ContactRole.OWNER, is_active=True).first()
        if partner is not None:
            Customer.objects.filter(pk=customer.pk, contract_partner__isnull=True).update(
                contract_partner=partner
            )
    # The order's texts are the customer's to read (portal, its invoice): in their language.
    language = customer.language or customer.tenant.locale
    order_create(
        customer=customer,
        title=f"{tariff.module.text_in('name', language)} — {tariff.text_in('name', language)}",
        actor=actor,
        subscription=subscription,
        description=tariff.module.text_in("description", language),
    )
    audit_record(
        tenant=customer.tenant,
        actor=actor,
        action="subscription.order",
        obj=subscription,
        after={"tariff": tariff_label(tariff), "start_on": start_on, "quantity": quantity},
    )
    if not pending:
        _confirm(ordered)
    return subscription


def subscription_draft(
    *, customer: Customer, tariff: Tariff, start_on: date, quantity: int = 1
) -> Subscription:
    """An unsaved subscription as ordering `tariff` today would make it: what a checkout's
    review prices with the billing run's own lines."""
    subscription = Subscription(
        tenant=customer.tenant,
        customer=customer,
        quantity=quantity,
        started_on=start_on,
        anchor_on=start_on,
        next_invoice_on=start_on,
    )
    _snapshot_tariff(subscription, tariff)
    return subscription


@transaction.atomic
def subscription_activate(*, subscription: Subscription, actor: User | SystemActor) -> bool:
    """A checkout's first invoice is paid: the pending subscription starts, and its order is
    confirmed now. False when it is not pending (activated already: a second call is a no-op)."""
    subscription = _locked(subscription)
    if subscription.status != SubscriptionStatus.PENDING:
        return False
    data = {"tariff": subscription.tariff_id, "start_on": str(subscription.started_on)}
    _confirm(_move(subscription, SubscriptionStatus.ACTIVE, kind="order", actor=actor, data=data))
    subscription.save(update_fields=["status"])
    return True


@transaction.atomic
def subscription_abandon(*, subscription: Subscription, actor: User | SystemActor) -> bool:
    """A checkout's first invoice was never paid: the pending subscription ends without having
    started (nothing else was billed on it). False when it is not pending."""
    subscription = _locked(subscription)
    if subscription.status != SubscriptionStatus.PENDING:
        return False
    _move(subscription, SubscriptionStatus.ENDED, kind="abandoned", actor=actor, data={})
    subscription.next_invoice_on = None
    subscription.ends_on = subscription.started_on
    subscription.save(update_fields=["status", "next_invoice_on", "ends_on"])
    return True


# ---------------------------------------------------------------------------------------------
# Change tariff

PRORATE_IMMEDIATELY = "immediate"  # Tenant.proration_policy: upgrades at once, pro rata


@dataclass(frozen=True)
class ChangePreview:
    """What changing to `target` would mean, shown before the customer confirms."""

    target: Tariff
    effective_on: date
    immediate: bool
    is_upgrade: bool
    current_amount: Decimal  # per period
    new_amount: Decimal  # per period of the target
    prorated_charge: Decimal  # charged now for the rest of the current period (0: none)
    currency: str


def tariff_change_targets(subscription: Subscription) -> QuerySet[Tariff]:
    """The tariffs this subscription may change to: allowed by its tariff, on sale, same
    currency (a contract does not change currency)."""
    return (
        subscription.tariff.allowed_changes.filter(
            is_active=True, currency=subscription.currency, tenant=subscription.tenant
        )
        .select_related("module")
        .prefetch_related("prices", "options")
        .order_by("position", "name")
    )


def tariff_change_preview(
    *, subscription: Subscription, target: Tariff, today: date
) -> ChangePreview:
    if not tariff_change_targets(subscription).filter(pk=target.pk).exists():
        raise ValidationError(_("This subscription cannot change to that tariff."), code="target")
    if subscription.status == SubscriptionStatus.SCHEDULED_END:
        raise ValidationError(
            _("This subscription is cancelled. Undo the cancellation to change its tariff."),
            code="cancelled",
        )
    current_amount = subscription_period_amount(subscription)
    new_amount = tariff_period_amount(subscription, target)
    # Compare per month, so a yearly tariff is not an "upgrade" merely for costing more per bill.
    is_upgrade = new_amount / target.interval_months > current_amount / subscription.interval_months
    immediate = (
        is_upgrade
        and subscription.tenant.proration_policy == PRORATE_IMMEDIATELY
        and target.interval_months == subscription.interval_months
        and subscription.anchor_on <= today  # before it starts there is nothing to prorate
    )
    prorated = Decimal(0)
    if immediate:
        current = subscription.current_period(today)
        prorated = round_money(
            periods.prorate(new_amount - current_amount, current, today), subscription.currency
        )
        effective_on = today
    else:
        effective_on = periods.earliest_change(
            anchor=subscription.anchor_on,
            interval_months=subscription.interval_months,
            notice_days=subscription.change_notice_days,
            today=today,
        )
    return ChangePreview(
        target,
        effective_on,
        immediate,
        is_upgrade,
        current_amount,
        new_amount,
        prorated,
        subscription.currency,
    )


@transaction.atomic
def subscription_change_tariff(
    *,
    subscription: Subscription,
    target: Tariff,
    actor: User,
    today: date,
    as_contact: bool = False,
) -> ChangePreview:
    """Change at once (an upgrade, where the business prorates) or schedule the change for the
    earliest period start the notice allows. Returns what was done, as previewed."""
    require(
        actor,
        "subscription.change" if as_contact else "subscription.manage",
        tenant=subscription.tenant,
        customer_id=subscription.customer_id,
    )
    subscription = _locked(subscription)
    if as_contact:
        _require_portal_right(subscription, "change")
    preview = tariff_change_preview(subscription=subscription, target=target, today=today)
    if preview.immediate:
        _confirm(_apply_tariff(subscription, target, actor=actor, today=today, preview=preview))
    else:
        subscription.scheduled_tariff, subscription.change_on = target, preview.effective_on
        event = _move(
            subscription,
            SubscriptionStatus.SCHEDULED_CHANGE,
            kind="change_scheduled",
            actor=actor,
            data={"tariff": _in_documents(target, subscription), "change_on": preview.effective_on},
        )
        subscription.save()
        _confirm(event)
    return preview


def tariff_switch(subscription: Subscription, target: Tariff, *, on: date) -> None:
    """Put `target`'s prices and terms on the subscription as of `on`, in memory, without
    saving (no query once the target's prices are loaded): the change itself
    (`_apply_tariff`) and the billing schedule, which forecasts a scheduled change, both call
    it. Booked options the target does not offer are the caller's to drop."""
    if target.interval_months != subscription.interval_months:
        # A new rhythm starts on the day of the change (always a period boundary): periods,
        # the next invoice and the new tariff's minimum term run from there.
        subscription.anchor_on = on
        subscription.next_invoice_on = on
    _snapshot_tariff(subscription, target)
    subscription.scheduled_tariff, subscription.change_on = None, None


def _apply_tariff(
    subscription: Subscription,
    target: Tariff,
    *,
    actor: User | SystemActor,
    today: date,
    preview: ChangePreview | None = None,
) -> SubscriptionEvent:
    old = _in_documents(subscription.tariff, subscription)
    tariff_switch(subscription, target, on=today)
    allowed = set(target.options.values_list("pk", flat=True))
    subscription.options.exclude(option_id__in=allowed).delete()
    if preview is not None and preview.prorated_charge > 0:
        current = subscription.current_period(today)
        customer = subscription.customer
        # Written in the customer's document language: it becomes an invoice line.
        with translation.override(customer.language or subscription.tenant.locale):
            description = gettext("Upgrade to %(tariff)s, %(start)s to %(end)s") % {
                "tariff": target,
                "start": date_format(today, "SHORT_DATE_FORMAT"),
                "end": date_format(current.last_day, "SHORT_DATE_FORMAT"),
            }
        PendingCharge.objects.create(
            tenant=subscription.tenant,
            subscription=subscription,
            description=description,
            amount=preview.prorated_charge,
            currency=subscription.currency,
            service_start=today,
            service_end=current.last_day,
        )
    event = _move(
        subscription,
        SubscriptionStatus.ACTIVE,
        kind="tariff_changed",
        actor=actor,
        data={"from": old, "to": _in_documents(target, subscription), "on": today},
    )
    subscription.save()
    return event


@transaction.atomic
def subscription_undo_change(
    *, subscription: Subscription, actor: User, as_contact: bool = False
) -> Subscription:
    """Keep the current tariff after all: withdraw a scheduled change before it takes effect."""
    require(
        actor,
        "subscription.change" if as_contact else "subscription.manage",
        tenant=subscription.tenant,
        customer_id=subscription.customer_id,
    )
    subscription = _locked(subscription)
    if as_contact:
        _require_portal_right(subscription, "change")
    if subscription.status != SubscriptionStatus.SCHEDULED_CHANGE:
        raise ValidationError(_("There is no tariff change to withdraw."), code="no_change")
    withdrawn = str(subscription.scheduled_tariff)
    subscription.scheduled_tariff, subscription.change_on = None, None
    event = _move(
        subscription,
        SubscriptionStatus.ACTIVE,
        kind="change_withdrawn",
        actor=actor,
        data={"tariff": withdrawn},
    )
    subscription.save()
    _confirm(event)
    return subscription


# ---------------------------------------------------------------------------------------------
# Cancel and undo


def cancellation_earliest_end(subscription: Subscription, today: date) -> date:
    return periods.earliest_end(
        anchor=subscription.anchor_on,
        interval_months=subscription.interval_months,
        minimum_term_months=subscription.minimum_term_months,
        notice_days=subscription.notice_period_days,
        today=today,
    )


def cancellation_end_check(
    *,
    subscription: Subscription,
    actor: User,
    today: date,
    ends_on: date | None,
    as_contact: bool = False,
) -> date:
    """The last day a cancellation may have: the earliest the terms allow, or — for a Manager —
    any day from today. Raises ValidationError for a date that is not allowed."""
    if not subscription.is_changeable:
        raise ValidationError(
            _("This subscription is already cancelled or ended."), code="not_running"
        )
    earliest = cancellation_earliest_end(subscription, today)
    if ends_on is None or ends_on == earliest:
        return earliest
    if as_contact or not may(
        actor, "subscription.termination_date.choose", tenant=subscription.tenant
    ):
        raise ValidationError(
            _("Only Managers may choose a date other than the earliest one, %(date)s.")
            % {"date": date_format(earliest)},
            code="date_not_allowed",
        )
    if ends_on < today:
        raise ValidationError(_("The last day cannot be in the past."), code="past")
    return ends_on


@transaction.atomic
def subscription_cancel(
    *,
    subscription: Subscription,
    actor: User,
    today: date,
    reason: str,
    ends_on: date | None = None,
    as_contact: bool = False,
) -> Subscription:
    """Schedule the end. Customers and billing staff get the earliest date the terms allow and
    must give a reason; a Manager may choose any date from today on. A customer on a tariff
    whose cancellations need approval gets a pending CancellationRequest instead (see
    `subscription_cancellation_pending`)."""
    require(
        actor,
        "subscription.cancel" if as_contact else "subscription.manage",
        tenant=subscription.tenant,
        customer_id=subscription.customer_id,
    )
    subscription = _locked(subscription)
    if as_contact:
        _require_portal_right(subscription, "cancel")
    ends_on = cancellation_end_check(
        subscription=subscription,
        actor=actor,
        today=today,
        ends_on=ends_on,
        as_contact=as_contact,
    )
    if not reason.strip():
        raise ValidationError({"reason": _("Please tell us why you are cancelling.")})
    if as_contact and subscription.tariff.cancellation_needs_approval:
        _request_cancellation(subscription, actor=actor, ends_on=ends_on, reason=reason.strip())
        return subscription
    _confirm(_schedule_end(subscription, actor=actor, ends_on=ends_on, reason=reason.strip()))
    return subscription


def _schedule_end(
    subscription: Subscription,
    *,
    actor: User,
    ends_on: date,
    reason: str,
    kind: str = "cancelled",
    extra: dict | None = None,
) -> SubscriptionEvent:
    subscription.ends_on = ends_on
    subscription.cancellation_reason = reason
    subscription.cancelled_at = timezone.now()
    subscription.scheduled_tariff, subscription.change_on = None, None
    # Staff cancelling directly answer a request that is still waiting, too.
    subscription.cancellation_requests.filter(status=CancellationRequestStatus.PENDING).update(
        status=CancellationRequestStatus.APPROVED, decided_by=actor, decided_at=timezone.now()
    )
    event = _move(
        subscription,
        SubscriptionStatus.SCHEDULED_END,
        kind=kind,
        actor=actor,
        data={"ends_on": ends_on, "reason": reason, **(extra or {})},
    )
    subscription.save()
    return event


def _note(subscription: Subscription, *, kind: str, actor: User, data: dict) -> SubscriptionEvent:
    """An event that leaves the status as it is (a cancellation request's moves): recorded
    whatever the status, so a request can still be refused or withdrawn while suspended."""
    return _record(subscription, subscription.status, kind=kind, actor=actor, data=data)


def subscription_cancellation_pending(subscription: Subscription) -> CancellationRequest | None:
    return subscription.cancellation_requests.filter(
        status=CancellationRequestStatus.PENDING
    ).first()


def _request_cancellation(
    subscription: Subscription, *, actor: User, ends_on: date, reason: str
) -> CancellationRequest:
    if subscription_cancellation_pending(subscription) is not None:
        raise ValidationError(
            _("Your cancellation request is already waiting for approval."), code="pending"
        )
    request = CancellationRequest.objects.create(
        tenant=subscription.tenant,
        subscription=subscription,
        ends_on=ends_on,
        reason=reason,
        requested_by=actor,
    )
    _confirm(
        _note(
            subscription,
            kind="cancellation_requested",
            actor=actor,
            data={"request": request.pk, "ends_on": ends_on, "reason": reason},
        )
    )
    return request


def _locked_request(subscription: Subscription) -> CancellationRequest:
    request = (
        CancellationRequest.objects.select_for_update()
        .filter(subscription=subscription, status=CancellationRequestStatus.PENDING)
        .first()
    )
    if request is None:
        raise ValidationError(_("There is no cancellation request waiting."), code="no_request")
    return request


@transaction.atomic
def cancellation_request_approve(
    *, subscription: Subscription, actor: User, today: date
) -> CancellationRequest:
    """Staff approve: the end is scheduled as `subscription_cancel` does, on the day asked for,
    or the earliest the terms allow now if that day has become too early."""
    require(actor, "subscription.manage", tenant=subscription.tenant)
    subscription = _locked(subscription)
    request = _locked_request(subscription)
    if not subscription.is_changeable:
        raise ValidationError(
            _("This subscription is already cancelled or ended."), code="not_running"
        )
    ends_on = max(request.ends_on, cancellation_earliest_end(subscription, today))
    request.status = CancellationRequestStatus.APPROVED
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    _confirm(
        _schedule_end(
            subscription,
            actor=actor,
            ends_on=ends_on,
            reason=request.reason,
            kind="cancellation_approved",
            extra={"request": request.pk},
        )
    )
    return request


@transaction.atomic
def cancellation_request_refuse(
    *, subscription: Subscription, actor: User, reason: str
) -> CancellationRequest:
    """Staff refuse, saying why (the customer reads it); the subscription keeps running."""
    require(actor, "subscription.manage", tenant=subscription.tenant)
    if not reason.strip():
        raise ValidationError(
            {"refusal_reason": _("Please tell the customer why the request is refused.")}
        )
    subscription = _locked(subscription)
    request = _locked_request(subscription)
    request.status = CancellationRequestStatus.REFUSED
    request.refusal_reason = reason.strip()
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "refusal_reason", "decided_by", "decided_at"])
    _confirm(
        _note(
            subscription,
            kind="cancellation_refused",
            actor=actor,
            data={"request": request.pk, "reason": request.refusal_reason},
        )
    )
    return request


@transaction.atomic
def cancellation_request_withdraw(
    *, subscription: Subscription, actor: User, as_contact: bool = False
) -> CancellationRequest:
    """The customer (or staff on their behalf) takes a waiting request back."""
    require(
        actor,
        "subscription.cancel" if as_contact else "subscription.manage",
        tenant=subscription.tenant,
        customer_id=subscription.customer_id,
    )
    subscription = _locked(subscription)
    request = _locked_request(subscription)
    request.status = CancellationRequestStatus.WITHDRAWN
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    _confirm(
        _note(
            subscription,
            kind="cancellation_withdrawn",
            actor=actor,
            data={"request": request.pk},
        )
    )
    return request


@transaction.atomic
def subscription_undo_cancel(
    *, subscription: Subscription, actor: User, today: date, as_contact: bool = False
) -> Subscription:
    """Take a cancellation back, as long as the subscription has not ended."""
    require(
        actor,
        "subscription.cancel" if as_contact else "subscription.manage",
        tenant=subscription.tenant,
        customer_id=subscription.customer_id,
    )
    _lock_customer(subscription.customer)  # see account_close
    subscription = _locked(subscription)
    if as_contact:
        _require_portal_right(subscription, "cancel")
    if subscription.status != SubscriptionStatus.SCHEDULED_END or subscription.ends_on < today:
        raise ValidationError(_("There is no cancellation to undo."), code="no_cancellation")
    subscription.ends_on, subscription.cancellation_reason = None, ""
    subscription.cancelled_at = None
    _confirm(
        _move(subscription, SubscriptionStatus.ACTIVE, kind="cancel_undone", actor=actor, data={})
    )
    subscription.save()
    return subscription


# ---------------------------------------------------------------------------------------------
# Options (Manager and up)


def subscription_option_check(*, subscription: Subscription, option: Option) -> None:
    """Can this option be booked on this subscription? (Also used to validate admin forms.)"""
    if subscription.status == SubscriptionStatus.ENDED:
        raise ValidationError(_("This subscription has ended."), code="ended")
    if not subscription.tariff.options.filter(pk=option.pk).exists():
        raise ValidationError(_("This tariff does not offer that option."), code="option")
    if option.currency != subscription.currency:
        raise ValidationError(_("That option is priced in another currency."), code="currency")


@transaction.atomic
def subscription_option_add(
    *, subscription: Subscription, option: Option, actor: User, today: date, quantity: int = 1
) -> SubscriptionOption:
    require(actor, "subscription.option.manage", tenant=subscription.tenant)
    subscription = _locked(subscription)
    subscription_option_check(subscription=subscription, option=option)
    # A booked option keeps the price and date it was booked with; only the quantity changes.
    booked, _created = SubscriptionOption.objects.get_or_create(
        subscription=subscription,
        option=option,
        defaults={
            "tenant": subscription.tenant,
            "quantity": quantity,
            "unit_price": option.unit_price,
            "added_on": today,
        },
    )
    if booked.quantity != quantity:
        booked.quantity = quantity
        booked.save(update_fields=["quantity"])
    audit_record(
        tenant=subscription.tenant,
        actor=actor,
        action="subscription.option_add",
        obj=subscription,
        after={"option": str(option), "quantity": quantity},
    )
    return booked


@transaction.atomic
def subscription_option_remove(*, subscription: Subscription, option: Option, actor: User) -> None:
    require(actor, "subscription.option.manage", tenant=subscription.tenant)
    subscription = _locked(subscription)
    deleted, _count = SubscriptionOption.objects.filter(
        subscription=subscription, option=option
    ).delete()
    if deleted:
        audit_record(
            tenant=subscription.tenant,
            actor=actor,
            action="subscription.option_remove",
            obj=subscription,
            before={"option": str(option)},
        )


# ---------------------------------------------------------------------------------------------
# The daily job


def subscriptions_apply_due(*, today: date, tenant: Tenant | None = None) -> dict[str, int]:
    """Apply tariff changes whose day has come and end subscriptions past their last day.
    Safe to run any number of times: each row is re-checked under its lock."""
    base = (
        Subscription.objects.all() if tenant is None else Subscription.objects.filter(tenant=tenant)
    )
    done = {"changed": 0, "ended": 0}
    for pk in base.filter(
        status=SubscriptionStatus.SCHEDULED_CHANGE, change_on__lte=today
    ).values_list("pk", flat=True):
        with transaction.atomic():
            subscription = Subscription.objects.select_for_update().get(pk=pk)
            if subscription_apply_due_change(subscription, today=today):
                done["changed"] += 1
    for pk in base.filter(status=SubscriptionStatus.SCHEDULED_END, ends_on__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            subscription = Subscription.objects.select_for_update().get(pk=pk)
            if (
                subscription.status == SubscriptionStatus.SCHEDULED_END
                and subscription.ends_on < today
            ):
                subscription.next_invoice_on = None
                _move(
                    subscription,
                    SubscriptionStatus.ENDED,
                    kind="ended",
                    actor=SYSTEM,
                    data={"ends_on": subscription.ends_on},
                )
                subscription.save()
                done["ended"] += 1
    return done


def subscription_apply_due_change(subscription: Subscription, *, today: date) -> bool:
    """Apply the subscription's scheduled tariff change if its day has come (as of its day),
    and say whether it did. The caller holds the row's lock in its transaction and has just
    read it: the daily job above, and the billing run for the subscriptions of its batch —
    so that a period starting on the day of a change is priced at the new tariff whichever
    of the two runs first, and a change is never applied twice."""
    if (
        subscription.status != SubscriptionStatus.SCHEDULED_CHANGE
        or subscription.change_on is None
        or subscription.change_on > today
    ):
        return False
    _apply_tariff(
        subscription, subscription.scheduled_tariff, actor=SYSTEM, today=subscription.change_on
    )
    return True


def customer_contract_start(customer: Customer) -> date | None:
    """Contract duration runs from the start of the oldest subscription still running."""
    return (
        Subscription.objects.filter(customer=customer)
        .running()
        .order_by("started_on")
        .values_list("started_on", flat=True)
        .first()
    )


# ---------------------------------------------------------------------------------------------
# Closing the account (spans contracts and subscriptions, so it lives here, the higher app)


def account_close_blockers(customer: Customer, today: date) -> list[str]:
    """Why the account cannot be closed yet: modules still active, or cancelled ones whose last
    day has not passed. Empty: it may be closed."""
    reasons = []
    for subscription in (
        Subscription.objects.filter(customer=customer).running().select_related("tariff__module")
    ):
        name = subscription.tariff.module.localized_name
        if subscription.status == SubscriptionStatus.PENDING:
            reasons.append(
                gettext(
                    "%(module)s waits for its first payment: pay it, or let the order lapse "
                    "within a day."
                )
                % {"module": name}
            )
        elif subscription.status == SubscriptionStatus.SCHEDULED_END:
            if subscription.ends_on >= today:
                reasons.append(
                    gettext("%(module)s runs until %(date)s.")
                    % {"module": name, "date": date_format(subscription.ends_on)}
                )
        else:
            reasons.append(gettext("%(module)s is active: cancel it first.") % {"module": name})
    return reasons


@transaction.atomic
def account_close(
    *, customer: Customer, actor: User, today: date, as_contact: bool = False
) -> Customer:
    require(
        actor,
        "account.delete" if as_contact else "customer.delete",
        tenant=customer.tenant,
        customer_id=customer.pk,
    )
    # Ordering and withdrawing a cancellation lock the customer row too: none can slip in
    # between this check and the close.
    _lock_customer(customer)
    blockers = account_close_blockers(customer, today)
    if blockers:
        raise ValidationError(blockers, code="still_running")
    return customer_close(customer=customer, actor=actor)


@transaction.atomic
def subscription_suspend(
    *, subscription: Subscription, actor: User | SystemActor, reason: str
) -> None:
    """Stop billing a subscription whose renewals could not be paid (dunning's final step)."""
    subscription = _locked(subscription)
    if subscription.status == SubscriptionStatus.SUSPENDED:
        return
    subscription.suspended_from = subscription.status
    _move(
        subscription,
        SubscriptionStatus.SUSPENDED,
        kind="suspended",
        actor=actor,
        data={"reason": reason, "was": subscription.suspended_from},
    )
    subscription.save(update_fields=["status", "suspended_from"])


@transaction.atomic
def subscription_resume(*, subscription: Subscription, actor: User | SystemActor) -> None:
    """Back to what it was once the money came in; missed periods are billed by the next run."""
    subscription = _locked(subscription)
    if subscription.status != SubscriptionStatus.SUSPENDED:
        return
    target = subscription.suspended_from or SubscriptionStatus.ACTIVE
    if target not in SUBSCRIPTION_TRANSITIONS[SubscriptionStatus.SUSPENDED]:
        target = SubscriptionStatus.ACTIVE
    _move(subscription, target, kind="resumed", actor=actor, data={})
    subscription.suspended_from = ""
    subscription.save(update_fields=["status", "suspended_from"])
