"""Writes on tenants, users and staff: one transaction each, audited."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.audit import audit_record, snapshot
from core.licence import licence_modules_clean
from core.models import StaffMembership, Tenant, User
from core.roles import StaffRole, SystemActor
from core.tenancy import tenant_cache_clear


@transaction.atomic
def tenant_create(*, slug: str, name: str, actor: User | SystemActor, **fields) -> Tenant:
    """A new business, checked like the back office checks it (slug, colour, currency…)."""
    tenant = Tenant(slug=slug, name=name, **fields)
    tenant.full_clean()
    tenant.save()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="tenant.create",
        obj=tenant,
        after={"slug": slug, "name": name},
    )
    return tenant


def user_get_or_create(*, email: str, full_name: str = "") -> User:
    """The person with this e-mail address; created without a usable password when new
    (they set one through "forgot password" or log in by e-mailed code)."""
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, full_name=full_name)
        _email_address_record(user)
    return user


def _email_address_record(user: User, *, verified: bool = False) -> None:
    # allauth keeps its own table of addresses; keep it in step so login by code and
    # password reset find the user.
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": verified}
    )


@transaction.atomic
def staff_add(
    *, tenant: Tenant, email: str, role: StaffRole, actor: User | SystemActor
) -> StaffMembership:
    user = user_get_or_create(email=email)
    membership, created = StaffMembership.objects.get_or_create(
        tenant=tenant, user=user, defaults={"role": role}
    )
    if created:
        audit_record(
            tenant=tenant,
            actor=actor,
            action="staff.add",
            obj=membership,
            after={"email": user.email, "role": role},
        )
    elif membership.role != role or not membership.is_active:
        before = snapshot(membership, ["role", "is_active"])
        membership.role, membership.is_active = role, True
        membership.save(update_fields=["role", "is_active"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="staff.change",
            obj=membership,
            before=before,
            after=snapshot(membership, ["role", "is_active"]),
        )
    return membership


def ensure_an_owner_remains(*, membership: StaffMembership, role: str, is_active: bool) -> None:
    """A business always keeps one active owner: without one nobody could manage its staff or
    settings any more."""
    stays_owner = role == StaffRole.OWNER and is_active
    if stays_owner or membership.role != StaffRole.OWNER or not membership.is_active:
        return
    others = StaffMembership.objects.filter(
        tenant_id=membership.tenant_id, role=StaffRole.OWNER, is_active=True
    ).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError(
            _("This is the business's last active owner. Make someone else owner first."),
            code="last_owner",
        )


@transaction.atomic
def staff_change(
    *, membership: StaffMembership, role: str, is_active: bool, actor: User | SystemActor
) -> StaffMembership:
    # Lock the tenant's owner rows so two owners cannot demote each other at the same time.
    list(
        StaffMembership.objects.select_for_update()
        .filter(tenant_id=membership.tenant_id, role=StaffRole.OWNER)
        .values_list("pk", flat=True)
    )
    current = StaffMembership.objects.get(pk=membership.pk)
    ensure_an_owner_remains(membership=current, role=role, is_active=is_active)
    before = snapshot(current, ["role", "is_active"])
    current.role, current.is_active = role, is_active
    current.save(update_fields=["role", "is_active"])
    audit_record(
        tenant=current.tenant,
        actor=actor,
        action="staff.change",
        obj=current,
        before=before,
        after=snapshot(current, ["role", "is_active"]),
    )
    return current


@transaction.atomic
def tenant_licence_change(*, tenant: Tenant, modules: list[str], actor: User) -> Tenant:
    """Set the business's licence modules. Only the platform operator sells a licence: the
    business's own staff, its Owner too, never change it. A module switched off keeps its data."""
    if not (actor.is_active and actor.is_superuser):
        raise PermissionDenied
    modules = licence_modules_clean(modules)
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    before = list(locked.licence_modules or [])
    if before == modules:
        return locked
    locked.licence_modules = modules
    locked.save(update_fields=["licence_modules"])
    tenant.licence_modules = modules
    audit_record(
        tenant=locked,
        actor=actor,
        action="tenant.licence_change",
        obj=locked,
        before={"licence_modules": before},
        after={"licence_modules": modules},
    )
    # Every process reads the business from its in-process cache: drop it once committed.
    transaction.on_commit(tenant_cache_clear)
    return locked


@transaction.atomic
def user_language_set(*, user: User, language: str, tenant: Tenant | None) -> User:
    """Save the language a person reads pages in (core.middleware.TenantLocaleMiddleware, step
    1); "" gives the choice back to their browser. Audited under the business whose portal it
    was changed on; on the bare host (a superuser) there is none to file it under."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Choose one of the languages offered."), code="language")
    before = user.language
    if before == language:
        return user
    user.language = language
    user.save(update_fields=["language"])
    if tenant is not None:
        audit_record(
            tenant=tenant,
            actor=user,
            action="user.language_set",
            obj=user,
            before={"language": before},
            after={"language": language},
        )
    return user
