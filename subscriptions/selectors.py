"""Reads on the catalogue and subscriptions, scoped by tenant (and customer for the portal)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Prefetch, Q, QuerySet, When
from django.utils.translation import gettext, ngettext

from contracts.models import Customer
from core.models import Tenant
from subscriptions.models import (
    CancellationRequest,
    CancellationRequestStatus,
    CreditAccount,
    CreditLedgerEntry,
    DeliveryStage,
    Department,
    DepartmentAccess,
    Module,
    Order,
    Package,
    RequestKind,
    Subscription,
    SubscriptionOption,
    SubscriptionStatus,
)


def subscription_list(*, tenant: Tenant, customer: Customer) -> QuerySet[Subscription]:
    return (
        Subscription.objects.filter(tenant=tenant, customer=customer)
        .select_related("tariff__module", "scheduled_tariff", "discount_code")
        .prefetch_related(
            Prefetch("options", queryset=SubscriptionOption.objects.select_related("option"))
        )
        # Running subscriptions first, then the ended ones; newest first within each.
        .annotate(ended=Case(When(status=SubscriptionStatus.ENDED, then=1), default=0))
        .order_by("ended", "-started_on", "-id")
    )


def cancellation_request_refused(subscription: Subscription) -> CancellationRequest | None:
    """The latest cancellation request, when staff refused it: its reason stays on the page."""
    latest = subscription.cancellation_requests.order_by("-created_at", "-id").first()
    return latest if latest and latest.status == CancellationRequestStatus.REFUSED else None


def module_list(*, tenant: Tenant) -> QuerySet[Module]:
    return Module.objects.filter(tenant=tenant)


def interval_label(months: int) -> str:
    """How often a tariff is billed, in words."""
    if months == 1:
        return gettext("per month")
    if months == 3:
        return gettext("per quarter")
    if months == 12:
        return gettext("per year")
    return ngettext("every %(n)s month", "every %(n)s months", months) % {"n": months}


def order_list(*, tenant: Tenant, customer: Customer) -> QuerySet[Order]:
    return (
        Order.objects.filter(tenant=tenant, customer=customer)
        .select_related("subscription__tariff__module")
        .prefetch_related(Prefetch("stages", queryset=DeliveryStage.objects.order_by("position")))
    )


def package_list(*, tenant: Tenant) -> QuerySet[Package]:
    return Package.objects.filter(tenant=tenant, is_active=True)


def credit_ledger(*, tenant: Tenant, customer: Customer, limit: int = 100):
    return CreditLedgerEntry.objects.filter(tenant=tenant, customer=customer).select_related(
        "department", "package"
    )[:limit]


def credit_account_view(*, customer: Customer):
    """The customer's credit account for display; an unsaved empty one if there is none yet
    (pages never write)."""

    return CreditAccount.objects.select_related("package").filter(
        customer=customer
    ).first() or CreditAccount(tenant_id=customer.tenant_id, customer=customer)


@dataclass(frozen=True)
class DepartmentAccessRow:
    """One department of the business, and whether (and why) the customer may use it."""

    department: Department
    has_access: bool
    # AccessSource (package, staff) when switched on; "open" when no package is needed;
    # "" when off.
    reason: str
    changed_at: datetime | None

    @property
    def counted_kinds(self) -> list[str]:
        """The request kinds that cost credits there, in words."""
        return [str(kind.label) for kind in RequestKind if self.department.counts(kind)]


ACCESS_OPEN = "open"


def department_access_list(*, tenant: Tenant, customer: Customer) -> list[DepartmentAccessRow]:
    """Every department of the business, with the customer's access: two queries."""
    departments = Department.objects.filter(tenant=tenant).prefetch_related(
        Prefetch(
            "access",
            queryset=DepartmentAccess.objects.filter(customer=customer),
            to_attr="customer_access",
        )
    )
    rows = []
    for department in departments:
        access = department.customer_access[0] if department.customer_access else None
        if not department.needs_package:
            rows.append(DepartmentAccessRow(department, True, ACCESS_OPEN, None))
        elif access is not None and access.is_enabled:
            rows.append(DepartmentAccessRow(department, True, access.source, access.changed_at))
        else:
            rows.append(
                DepartmentAccessRow(department, False, "", access.changed_at if access else None)
            )
    return rows


def department_list(*, tenant: Tenant) -> list[Department]:
    return list(Department.objects.filter(tenant=tenant).order_by("name", "id"))


def customer_by_ref(
    *, tenant: Tenant, customer_id: int | None = None, customer_number: str | None = None
) -> Customer | None:
    """The business's customer by Kontor's id or by customer number (the API's two ways);
    None for another business's or an unknown one."""
    match = Q(pk=customer_id) if customer_id is not None else Q(number=customer_number)
    return Customer.objects.filter(match, tenant=tenant).select_related("tenant").first()
