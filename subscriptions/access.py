"""Department access per customer: which departments a customer may use, switched on by a
purchase, off by a kind switch or a lapsed subscription package, either way by staff. Every
switch is audited; rows are kept when switched off, so the pages can say when and why."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from core.audit import audit_record
from core.models import Tenant, User
from core.roles import SYSTEM, SystemActor, acting_user, require
from subscriptions.models import (
    AccessSource,
    CreditAccount,
    Department,
    DepartmentAccess,
    Package,
    PackageKind,
)

# Why packaged access was switched off, as the audit entry says it.
OFF_KIND_SWITCH = "kind_switch"
OFF_LAPSED = "lapsed"


def department_access_switch_on_for_purchase(
    *, customer: Customer, package: Package, actor: User | SystemActor
) -> list[Department]:
    """Buying `package` switches its departments on. Access staff already gave stays theirs
    (a package running out later must not take it away); everything else becomes the
    package's. Runs inside the purchase's transaction."""
    switched = []
    for department in package.departments.filter(tenant=customer.tenant_id):
        access, created = DepartmentAccess.objects.select_for_update().get_or_create(
            customer=customer,
            department=department,
            defaults={
                "tenant": customer.tenant,
                "is_enabled": True,
                "source": AccessSource.PACKAGE,
                "changed_by": acting_user(actor),
            },
        )
        if not created:
            if access.is_enabled:
                continue
            access.is_enabled, access.source = True, AccessSource.PACKAGE
            access.changed_by = acting_user(actor)
            access.save(update_fields=["is_enabled", "source", "changed_by", "changed_at"])
        switched.append(department)
    if switched:
        audit_record(
            tenant=customer.tenant,
            actor=actor,
            action="department_access.package_on",
            obj=customer,
            after={"package": package.name, "departments": [d.name for d in switched]},
        )
    return switched


def department_access_switch_off_packaged(
    *, customer: Customer, actor: User | SystemActor, reason: str
) -> list[str]:
    """Switch off what packages switched on (not what staff gave): on a kind switch, or when
    a subscription package lapsed. Returns the departments' names; does nothing twice."""
    rows = list(
        DepartmentAccess.objects.select_for_update()
        .filter(customer=customer, is_enabled=True, source=AccessSource.PACKAGE)
        .select_related("department")
    )
    if not rows:
        return []
    DepartmentAccess.objects.filter(pk__in=[r.pk for r in rows]).update(
        # update() skips auto_now: the time is set by hand.
        is_enabled=False,
        changed_by=acting_user(actor),
        changed_at=timezone.now(),
    )
    names = [r.department.name for r in rows]
    audit_record(
        tenant=customer.tenant,
        actor=actor,
        action="department_access.package_off",
        obj=customer,
        after={"departments": names, "reason": reason},
        actor_label="system: department access" if actor is SYSTEM else None,
    )
    return names


@transaction.atomic
def department_access_set(
    *, customer: Customer, department: Department, enabled: bool, actor: User
) -> DepartmentAccess:
    """Staff switch one department on or off for a customer by hand (Billing and up)."""
    require(actor, "department_access.manage", tenant=customer.tenant)
    if department.tenant_id != customer.tenant_id:
        raise ValidationError(_("Unknown department."), code="department")
    access, created = DepartmentAccess.objects.select_for_update().get_or_create(
        customer=customer,
        department=department,
        defaults={"tenant": customer.tenant, "is_enabled": enabled, "source": AccessSource.STAFF},
    )
    before = None if created else {"switched_on": access.is_enabled, "source": access.source}
    access.is_enabled, access.source, access.changed_by = enabled, AccessSource.STAFF, actor
    access.save()
    audit_record(
        tenant=customer.tenant,
        actor=actor,
        action="department_access.staff",
        obj=access,
        before=before,
        after={"switched_on": enabled, "source": AccessSource.STAFF.value},
    )
    return access


def department_access_lapse(*, tenant: Tenant, today: date) -> int:
    """Switch off packaged access of customers whose subscription package ended before
    `today` (the business's calendar day). Safe to run again: only switched-on rows are
    touched, and each customer is re-checked under its credit account lock, so a renewal
    bought meanwhile keeps its access. Returns how many customers lost access."""
    candidates = (
        Customer.objects.filter(
            tenant=tenant,
            credit_account__kind=PackageKind.SUBSCRIPTION,
            credit_account__valid_until__lt=today,
            department_access__is_enabled=True,
            department_access__source=AccessSource.PACKAGE,
        )
        .select_related("tenant")
        .distinct()
    )
    lapsed = 0
    for customer in candidates:
        with transaction.atomic():
            account = CreditAccount.objects.select_for_update().get(customer=customer)
            still_lapsed = (
                account.kind == PackageKind.SUBSCRIPTION
                and account.valid_until is not None
                and account.valid_until < today
            )
            if still_lapsed and department_access_switch_off_packaged(
                customer=customer, actor=SYSTEM, reason=OFF_LAPSED
            ):
                lapsed += 1
    return lapsed
