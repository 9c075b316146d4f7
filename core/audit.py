"""The one way to write an audit entry. Every service that changes state calls `audit_record`."""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict

from core.acting import acting_for
from core.fields import EncryptedTextField
from core.models import AuditEntry, Tenant, User
from core.roles import SYSTEM, SystemActor, acting_user

# Set by `core.middleware.RequestContextMiddleware` so services need not take the request.
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_ip", default=None)


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audited state of a model instance: its concrete field values, JSON-friendly."""

    data = model_to_dict(obj, fields=list(fields) if fields is not None else None)
    for field in obj._meta.concrete_fields:
        if isinstance(field, EncryptedTextField) and data.get(field.name):
            # A secret is never written to the log: a fingerprint shows that it changed.
            digest = hashlib.sha256(data[field.name].encode()).hexdigest()[:8]
            data[field.name] = f"secret {digest}"
    return {key: _jsonable(value) for key, value in data.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple[dict, dict]:
    """Keep only the keys whose values changed, so entries stay readable."""
    before, after = dict(before or {}), dict(after or {})
    keys = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    return {k: before.get(k) for k in keys if k in before}, {
        k: after.get(k) for k in keys if k in after
    }


def audit_record(
    *,
    tenant: Tenant,
    actor: User | SystemActor,
    action: str,
    obj: models.Model | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    actor_label: str | None = None,
    ip_address: str | None = None,
) -> AuditEntry:
    """Write one audit entry. `actor=SYSTEM` means a job; give it an `actor_label`. A staff
    member acting as a customer (core.acting) is filed under both: actor and `on_behalf_of`."""
    if actor is None:
        # Nobody is not the system: a job says SYSTEM on purpose (core.roles).
        raise TypeError("audit_record needs a person or SYSTEM as actor, not None")
    if before is not None and after is not None:
        before, after = diff(before, after)
    label = actor_label or ("system" if actor is SYSTEM else actor.email)
    person = acting_user(actor)
    acting = acting_for.get()
    if (
        acting is None
        or person is None
        or not acting.applies(user_id=person.pk, tenant_id=tenant.pk, customer_id=None)
    ):
        acting = None
    return AuditEntry.objects.create(
        tenant=tenant,
        actor=person,
        actor_label=label[:254],
        on_behalf_of_id=acting.customer_id if acting else None,
        on_behalf_of=acting.customer_label[:254] if acting else "",
        action=action,
        object_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
        ip_address=ip_address or current_ip.get(),
    )
