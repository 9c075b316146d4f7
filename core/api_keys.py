"""Writes and the lookup for API keys: create (the secret returned once), revoke, authenticate.

A secret reads `ktr_<prefix>_<token>`: the prefix finds the row, the SHA-256 of the whole secret
must match. See core/models/api_key.py for why a fast hash is right here."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_record
from core.models import ApiKey, ApiScope, Tenant, User
from core.roles import SystemActor, acting_user, require

SECRET_PREFIX = "ktr_"  # noqa: S105 — a marker that names the string, not a secret
# last_used_at is written at most this often per key: an API under load must not turn every
# read into a row update.
LAST_USED_PRECISION = timedelta(minutes=1)


def api_key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split(secret: str) -> str | None:
    """The prefix of a well-formed secret, else None."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    prefix, sep, token = secret[len(SECRET_PREFIX) :].partition("_")
    # Letters and digits only: anything else (a NUL byte, say) never reaches a query.
    if not sep or not token or not (prefix.isascii() and prefix.isalnum()) or len(prefix) > 16:
        return None
    return prefix


@transaction.atomic
def api_key_create(
    *,
    tenant: Tenant,
    name: str,
    scopes: list[str],
    actor: User | SystemActor,
    secret: str | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its secret, which the caller shows once: only its hash is kept. `secret`
    is for the demo's documented key alone; everyone else gets 32 random bytes."""
    require(actor, "api_keys.manage", tenant=tenant)
    unknown = set(scopes) - set(ApiScope.values)
    if unknown or not scopes:
        raise ValidationError(_("Choose at least one scope."), code="scopes")
    if not name.strip():
        raise ValidationError(_("Name the key."), code="name")
    if secret is None:
        secret = f"{SECRET_PREFIX}{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"
    prefix = _split(secret)
    if prefix is None:
        raise ValueError("malformed API key secret")
    key = ApiKey.objects.create(
        tenant=tenant,
        name=name.strip(),
        prefix=prefix,
        secret_hash=api_key_hash(secret),
        scopes=sorted(set(scopes)),
        created_by=acting_user(actor),
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="api_key.create",
        obj=key,
        after={"name": key.name, "prefix": prefix, "scopes": key.scopes},
    )
    return key, secret


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: User | SystemActor) -> ApiKey:
    """The key stops working at once; the row stays, for the audit trail and usage history."""
    require(actor, "api_keys.manage", tenant=key.tenant)
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at, key.revoked_by = timezone.now(), acting_user(actor)
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            tenant=key.tenant,
            actor=actor,
            action="api_key.revoke",
            obj=key,
            after={"name": key.name, "prefix": key.prefix},
        )
    return key


def api_key_authenticate(*, tenant: Tenant, secret: str) -> ApiKey | None:
    """The active key of this business that the secret opens, else None. Another business's
    key is None too: a key is tied to its tenant, and the tenant comes from the host."""
    prefix = _split(secret)
    if prefix is None:
        return None
    key = ApiKey.objects.active().filter(prefix=prefix, tenant=tenant).first()
    if key is None or not hmac.compare_digest(key.secret_hash, api_key_hash(secret)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
