"""Services for orders and their delivery stages (kept apart from subscriptions.services, which
is long enough already)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from core.audit import audit_record
from core.models import Tenant, User
from core.roles import SystemActor, acting_user, require
from core.validators import validate_currency
from subscriptions.models import DeliveryStage, Order, OrderKind, StageTemplate, Subscription

DEFAULT_STAGES = (_("Received"), _("In progress"), _("Delivered"))


def stage_names(tenant: Tenant) -> list[str]:
    """The business's stage names, or the default three in its language."""
    names = list(StageTemplate.objects.filter(tenant=tenant).values_list("name", flat=True))
    if names:
        return names
    with translation.override(tenant.locale):
        return [str(name) for name in DEFAULT_STAGES]


LARGEST_PRICE = Decimal("1e15")


def order_price_check(
    *,
    amount: Decimal | None,
    currency: str,
    tax_rate: Decimal | None,
    subscription: Subscription | None,
) -> dict[str, ValidationError]:
    """What is wrong with a price staff set on an order, by field (nothing: it is fine). Only a
    one-off order carries its own price; a subscription's order is billed with the
    subscription."""
    errors: dict[str, ValidationError] = {}
    if amount is None:
        if tax_rate is not None:
            errors["tax_rate"] = ValidationError(_("Set the price the VAT rate applies to."))
        return errors
    if subscription is not None:
        errors["amount"] = ValidationError(
            _("An order of a subscription is billed with the subscription; it has no price.")
        )
    if amount < 0:
        errors["amount"] = ValidationError(_("The price cannot be negative."))
    elif amount * (1 + (tax_rate or Decimal(100)) / 100) >= LARGEST_PRICE:
        # Invoice lines hold 15 digits before the point; VAT (at most 100 %) comes on top.
        errors["amount"] = ValidationError(_("The price is too large."))
    if not currency:
        errors["currency"] = ValidationError(_("Say which currency the price is in."))
    else:
        try:
            validate_currency(currency)
        except ValidationError as exc:
            errors["currency"] = exc
    if tax_rate is not None and not Decimal(0) <= tax_rate <= Decimal(100):
        errors["tax_rate"] = ValidationError(_("A VAT rate lies between 0 and 100 %."))
    return errors


@transaction.atomic
def order_create(
    *,
    customer: Customer,
    title: str,
    actor: User | SystemActor,
    description: str = "",
    subscription: Subscription | None = None,
    stages: list[str] | None = None,
    amount: Decimal | None = None,
    currency: str = "",
    tax_rate: Decimal | None = None,
) -> Order:
    """A new order with its timeline; the first stage ("received") is reached at once. A
    one-off order may carry a price (VAT rate empty: the business's default when invoiced)."""
    require(actor, "order.manage", tenant=customer.tenant)
    if subscription is not None and subscription.customer_id != customer.pk:
        raise ValidationError(_("That subscription belongs to another customer."))
    if amount is not None:
        currency = currency or customer.tenant.default_currency
    errors = order_price_check(
        amount=amount, currency=currency, tax_rate=tax_rate, subscription=subscription
    )
    if errors:
        raise ValidationError(errors)
    order = Order.objects.create(
        tenant=customer.tenant,
        customer=customer,
        subscription=subscription,
        title=title,
        description=description,
        kind=OrderKind.SUBSCRIPTION if subscription is not None else OrderKind.ONE_OFF,
        amount=amount,
        currency=currency if amount is not None else "",
        tax_rate=tax_rate,
    )
    names = stages or stage_names(customer.tenant)
    now = timezone.now()
    DeliveryStage.objects.bulk_create(
        [
            DeliveryStage(
                tenant=customer.tenant,
                order=order,
                position=i,
                name=name,
                reached_at=now if i == 0 else None,
                reached_by=acting_user(actor),
            )
            for i, name in enumerate(names)
        ]
    )
    audit_record(
        tenant=customer.tenant,
        actor=actor,
        action="order.create",
        obj=order,
        after={
            "title": title,
            "stages": names,
            "amount": amount,
            "currency": order.currency,
            "tax_rate": tax_rate,
        },
    )
    return order


ORDER_EDITABLE = ("title", "description", "amount", "currency", "tax_rate")


@transaction.atomic
def order_update(*, order: Order, actor: User | SystemActor, **fields) -> Order:
    """Staff's edits of an order: its title and description, and the price of a one-off order
    until it is invoiced. Under the order's row lock, so the billing run invoicing it meanwhile
    (it takes the same lock) either sees the new price or keeps this edit out."""
    require(actor, "order.manage", tenant=order.tenant)
    unknown = set(fields) - set(ORDER_EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    locked = Order.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=order.pk)
    price = {name: fields[name] for name in ("amount", "currency", "tax_rate") if name in fields}
    changed_price = {k: v for k, v in price.items() if getattr(locked, k) != v}
    if changed_price and locked.invoiced_at is not None:
        raise ValidationError(_("This order was invoiced meanwhile: its price stays."))
    if changed_price:
        merged = {name: price.get(name, getattr(locked, name)) for name in price}
        errors = order_price_check(
            amount=merged.get("amount", locked.amount),
            currency=merged.get("currency", locked.currency),
            tax_rate=merged.get("tax_rate", locked.tax_rate),
            subscription=locked.subscription,
        )
        if errors:
            raise ValidationError(errors)
    before = {name: getattr(locked, name) for name in fields}
    for name, value in fields.items():
        setattr(locked, name, value)
    changed = [name for name in fields if before[name] != getattr(locked, name)]
    if changed:
        locked.save(update_fields=changed)
        audit_record(
            tenant=locked.tenant,
            actor=actor,
            action="order.update",
            obj=locked,
            before={name: before[name] for name in changed},
            after={name: getattr(locked, name) for name in changed},
        )
    return locked


@transaction.atomic
def order_advance(*, order: Order, actor: User, note: str = "") -> DeliveryStage:
    """Mark the next stage reached (now); the customer sees it on their Orders page."""
    require(actor, "order.manage", tenant=order.tenant)
    # Lock the order first: two advances at once then run one after the other.
    Order.objects.select_for_update().filter(pk=order.pk).exists()
    stage = (
        DeliveryStage.objects.select_for_update()
        .filter(order=order, reached_at__isnull=True)
        .order_by("position")
        .first()
    )
    if stage is None:
        raise ValidationError(gettext("This order is already delivered."), code="delivered")
    stage.reached_at, stage.reached_by = timezone.now(), actor
    if note:
        stage.note = note
    stage.save(update_fields=["reached_at", "reached_by", "note"])
    audit_record(
        tenant=order.tenant,
        actor=actor,
        action="order.advance",
        obj=order,
        after={"stage": stage.name, "note": note},
    )
    return stage
