"""Module data: reading, checking and writing the values of a module's own fields on a
subscription (definitions and storage: subscriptions/models/fields.py).

Who may edit a field is the field's `editor`:
- customer: the customer's contacts who may change subscriptions (`subscription.change`), and
  staff who manage subscriptions on their behalf (`subscription.manage`, Billing and up);
- staff: staff who manage subscriptions (Billing and up);
- manager: `subscription.module_data.restricted` (Manager and up).
Everyone who may see the subscription may read every field.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.audit import audit_record
from core.models import Tenant, User
from core.roles import SYSTEM, SystemActor, may
from subscriptions.models import (
    FieldEditor,
    FieldKind,
    Module,
    ModuleField,
    Subscription,
    SubscriptionStatus,
)


def module_fields(*, module: Module) -> list[ModuleField]:
    """The module's fields in their order (one query)."""
    return list(ModuleField.objects.filter(tenant_id=module.tenant_id, module=module))


def module_field_editable(
    field: ModuleField, *, actor: User | SystemActor | None, tenant: Tenant, customer_id: int
) -> bool:
    """May `actor` change this field's value on a subscription of that customer?"""
    if actor is SYSTEM:
        return True
    if actor is None:
        return False
    if field.editor == FieldEditor.CUSTOMER:
        return may(actor, "subscription.change", tenant=tenant, customer_id=customer_id) or may(
            actor, "subscription.manage", tenant=tenant
        )
    if field.editor == FieldEditor.STAFF:
        return may(actor, "subscription.manage", tenant=tenant)
    return may(actor, "subscription.module_data.restricted", tenant=tenant)


@dataclass(frozen=True)
class ModuleValue:
    """One field and its value, as a page shows it."""

    field: ModuleField
    label: str
    value: Any  # as stored; None when empty
    editable: bool

    @property
    def display(self) -> str:
        if self.value is None:
            return ""
        if self.field.kind == FieldKind.YES_NO:
            return str(_("Yes") if self.value else _("No"))
        if self.field.kind == FieldKind.DATE:
            try:
                return date_format(datetime.date.fromisoformat(self.value))
            except (TypeError, ValueError):
                return str(self.value)
        return str(self.value)


def field_label(field: ModuleField, tenant: Tenant) -> str:
    """The label in the reader's language, else the business's, else English."""
    return field.label(get_language(), tenant.locale)


def module_values(
    *,
    subscription: Subscription,
    fields: Sequence[ModuleField],
    actor: User | SystemActor | None,
) -> list[ModuleValue]:
    tenant = subscription.tenant
    data = subscription.module_data or {}
    return [
        ModuleValue(
            field=field,
            label=field_label(field, tenant),
            value=data.get(field.key),
            editable=module_field_editable(
                field, actor=actor, tenant=tenant, customer_id=subscription.customer_id
            ),
        )
        for field in fields
    ]


def module_data_missing(
    *, fields: Iterable[ModuleField], values: Mapping[str, Any] | None
) -> list[ModuleField]:
    """The required fields without a value (what a checkout must still ask for)."""
    values = values or {}
    return [
        f for f in fields if f.required and (values.get(f.key) is None or values.get(f.key) == "")
    ]


def module_data_check(
    *,
    subscription: Subscription,
    fields: Sequence[ModuleField],
    values: Mapping[str, Any],
    actor: User | SystemActor | None,
) -> dict[str, Any]:
    """Check `values` (key → value as typed or as a Python value) against the definitions and
    the actor's rights; return the keys that change, as stored (None: emptied).

    A field the actor may not edit is refused with PermissionDenied as soon as its value would
    change; other bad values raise one ValidationError keyed by field key.
    """
    by_key = {f.key: f for f in fields}
    stored = subscription.module_data or {}
    changes: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}
    for key, raw in values.items():
        field = by_key.get(key)
        if field is None:
            errors.setdefault(key, []).append(
                ValidationError(_("This module has no such field."), code="unknown")
            )
            continue
        editable = module_field_editable(
            field, actor=actor, tenant=subscription.tenant, customer_id=subscription.customer_id
        )
        try:
            value = field.to_stored(raw)
        except ValidationError as exc:
            if not editable:
                raise PermissionDenied(f"module field {key}") from exc
            errors.setdefault(key, []).append(exc)
            continue
        if value == stored.get(key):
            continue
        if not editable:
            raise PermissionDenied(f"module field {key}")
        if value is None and field.required:
            errors.setdefault(key, []).append(
                ValidationError(_("This field is required."), code="required")
            )
            continue
        changes[key] = value
    if errors:
        raise ValidationError(errors)
    if changes and subscription.status == SubscriptionStatus.ENDED:
        raise ValidationError(_("This subscription has ended; its data can no longer change."))
    return changes


def subscription_module_data_save(
    *,
    subscription: Subscription,
    values: Mapping[str, Any],
    actor: User | SystemActor,
) -> Subscription:
    """Validate and save module data on a subscription, audited with before and after.

    Only the keys in `values` are considered; those that do not change are left alone (so a
    form may send read-only fields unchanged). Raises PermissionDenied for a change the actor
    may not make, ValidationError for a bad value.
    """
    with transaction.atomic():
        locked = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("tenant", "tariff__module")
            .get(pk=subscription.pk, tenant_id=subscription.tenant_id)
        )
        fields = module_fields(module=locked.tariff.module)
        changes = module_data_check(subscription=locked, fields=fields, values=values, actor=actor)
        if not changes:
            subscription.module_data = locked.module_data
            return subscription
        before = dict(locked.module_data or {})
        after = {k: v for k, v in {**before, **changes}.items() if v is not None}
        locked.module_data = after
        locked.save(update_fields=["module_data"])
        audit_record(
            tenant=locked.tenant,
            actor=actor,
            action="subscription.module_data",
            obj=locked,
            before={key: before.get(key) for key in changes},
            after={key: after.get(key) for key in changes},
        )
    subscription.module_data = after
    return subscription
