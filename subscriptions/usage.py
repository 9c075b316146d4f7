"""Usage a helpdesk reports (tickets, conversations, live chats): whether a customer may open a
request in a department now (`usage_check`), and recording one, charged once (`usage_report`).

Who may use a department is DepartmentAccess (written by the access services; only read here).
What it costs: the department's credits per request when the kind counts and the department
needs a package; charged through `credits_use`, which records subscription-package use at 0.
Uncounted kinds and departments open to all record 0 credits and no ledger entry (audited
as usage.report)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from core.audit import audit_record, snapshot
from core.models import ApiKey
from core.roles import SYSTEM
from subscriptions.credits import credit_account_locked, credits_use
from subscriptions.models import (
    CreditAccount,
    Department,
    DepartmentAccess,
    PackageKind,
    UsageRecord,
)


class UsageReason:
    """Why a request may not be opened; the API's problem codes."""

    NO_ACCESS = "no_access"
    NO_PACKAGE = "no_package"
    NO_CREDITS = "no_credits"
    PACKAGE_EXPIRED = "package_expired"


REASON_TEXTS = {
    UsageReason.NO_ACCESS: _("The customer has no access to this department."),
    UsageReason.NO_PACKAGE: _("The customer holds no package."),
    UsageReason.NO_CREDITS: _("The customer has not enough credits left."),
    UsageReason.PACKAGE_EXPIRED: _("The customer's subscription package has run out."),
}


@dataclass(frozen=True)
class UsageVerdict:
    allowed: bool
    reason: str | None  # a UsageReason when not allowed
    credits: int  # what a request costs now (0: free or covered by a subscription package)
    balance: int

    @property
    def reason_text(self) -> str:
        return str(REASON_TEXTS[self.reason]) if self.reason else ""


class UsageRefused(Exception):
    def __init__(self, verdict: UsageVerdict) -> None:
        super().__init__(verdict.reason)
        self.verdict = verdict


class UsageConflict(Exception):
    """The external id was reported before for another customer, department or kind."""

    def __init__(self, record: UsageRecord) -> None:
        super().__init__(record.external_id)
        self.record = record


def usage_check(
    *,
    customer: Customer,
    department: Department,
    kind: str,
    today: date,
    account: CreditAccount | None = None,
) -> UsageVerdict:
    """Whether `customer` may open a request of `kind` in `department` today, and its price."""
    if account is None:
        account = CreditAccount.objects.filter(customer=customer).first()
    balance = account.balance if account else 0
    if not department.needs_package:
        return UsageVerdict(True, None, 0, balance)
    enabled = DepartmentAccess.objects.filter(
        customer=customer, department=department, is_enabled=True
    ).exists()
    if not enabled:
        return UsageVerdict(False, UsageReason.NO_ACCESS, 0, balance)
    if not department.counts(kind) or department.credits_per_request == 0:
        return UsageVerdict(True, None, 0, balance)
    cost = department.credits_per_request
    if account is not None and account.kind == PackageKind.SUBSCRIPTION:
        if account.valid_until is not None and account.valid_until >= today:
            return UsageVerdict(True, None, 0, balance)
        return UsageVerdict(False, UsageReason.PACKAGE_EXPIRED, 0, balance)
    if account is None or account.kind != PackageKind.CREDITS:
        return UsageVerdict(False, UsageReason.NO_PACKAGE, cost, balance)
    if account.balance < cost:
        return UsageVerdict(False, UsageReason.NO_CREDITS, cost, balance)
    return UsageVerdict(True, None, cost, balance)


@dataclass(frozen=True)
class UsageReport:
    record: UsageRecord
    created: bool  # False: the same report came before, nothing was charged now
    balance: int  # the customer's credit balance after it


def _same(record: UsageRecord, customer: Customer, department: Department, kind: str) -> bool:
    return (
        record.customer_id == customer.pk
        and record.department_id == department.pk
        and record.kind == kind
    )


def _earlier(tenant_id: int, external_id: str) -> UsageRecord | None:
    return UsageRecord.objects.filter(tenant_id=tenant_id, external_id=external_id).first()


@transaction.atomic
def usage_report(
    *,
    customer: Customer,
    department: Department,
    kind: str,
    external_id: str,
    occurred_at: datetime,
    today: date,
    api_key: ApiKey | None = None,
) -> UsageReport:
    """Record one request, charged once per (business, external id).

    Raises UsageRefused (nothing recorded, nothing charged) or UsageConflict (the id was used
    for another customer, department or kind). The customer's account row is locked first, so
    two identical reports at once queue up: the second finds the first and charges nothing.
    Two reports of one id for different customers lock different rows; the unique constraint
    refuses the second, whose charge is rolled back with its savepoint."""
    tenant = customer.tenant
    if department.tenant_id != tenant.pk:
        raise ValueError("department of another business")
    account = credit_account_locked(customer)
    earlier = _earlier(tenant.pk, external_id)
    if earlier is not None:
        return _repeat(earlier, customer, department, kind, account)
    verdict = usage_check(
        customer=customer, department=department, kind=kind, today=today, account=account
    )
    if not verdict.allowed:
        raise UsageRefused(verdict)
    try:
        with transaction.atomic():
            record = UsageRecord.objects.create(
                tenant=tenant,
                customer=customer,
                department=department,
                kind=kind,
                external_id=external_id,
                occurred_at=occurred_at,
                api_key=api_key,
            )
            units = department.credits_per_request if department.counts(kind) else 0
            if department.needs_package and units:
                # Through the ledger also when a subscription package covers it (at 0), so
                # the customer's history lists it.
                entry = credits_use(
                    customer=customer,
                    units=units,
                    today=today,
                    # The kind's value, not its label: the ledger must not depend on the
                    # language of the request; pages show the label (reference_text).
                    reference=f"{kind} {external_id}"[:200],
                    department=department,
                    actor=SYSTEM,
                )
                record.ledger_entry, record.credits = entry, -entry.delta
                record.save(update_fields=["ledger_entry", "credits"])
            else:
                # No ledger entry (free, uncounted or open department): audited here, as
                # credits_use audits the charged ones.
                audit_record(
                    tenant=tenant,
                    actor=SYSTEM,
                    actor_label=f"api key {api_key.prefix}" if api_key else "usage report",
                    action="usage.report",
                    obj=record,
                    after=snapshot(record),
                )
    except IntegrityError:
        earlier = _earlier(tenant.pk, external_id)
        if earlier is None:
            raise
        account.refresh_from_db()
        return _repeat(earlier, customer, department, kind, account)
    # The ledger entry holds the balance after the charge; without one nothing changed.
    entry = record.ledger_entry
    return UsageReport(record, True, entry.balance_after if entry else account.balance)


def _repeat(
    earlier: UsageRecord,
    customer: Customer,
    department: Department,
    kind: str,
    account: CreditAccount,
) -> UsageReport:
    if not _same(earlier, customer, department, kind):
        raise UsageConflict(earlier)
    return UsageReport(earlier, False, account.balance)
