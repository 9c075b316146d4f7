"""The role matrix: which action needs which least role, and the two functions that use it.

Every gated action in Kontor goes through the matrix below, its single source of truth
(`tests/core/test_roles.py` walks it row by row). Pages *ask* `may(user, action, tenant=…,
customer_id=…)` to show or hide what a person may do; services *enforce* with
`require(actor, action, tenant=…, customer_id=…)`, which raises PermissionDenied.

Jobs (Celery tasks, the billing run, dunning, webhooks, reminders, commands, the demo seeder)
act as `SYSTEM`, passed on purpose: `require(SYSTEM, …)` passes, `require(None, …)` never does,
so a forgotten actor is refused instead of being mistaken for a job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.acting import acting_for

if TYPE_CHECKING:
    from core.models import Tenant, User


class SystemActor:
    """Kontor itself acting, not a person: the type of `SYSTEM`, its only instance (copies
    too, so `actor is SYSTEM` always holds).

    It has none of a User's attributes on purpose, so code that treats it as a person fails
    loudly; `acting_user` gives what `actor`/`*_by` columns store for it (nobody)."""

    _instance: SystemActor | None = None

    def __new__(cls) -> SystemActor:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = SystemActor()


def acting_user(actor: User | SystemActor) -> User | None:
    """The person to store in an `actor` or `*_by` column: nobody when the system acts."""
    if actor is SYSTEM or not actor.is_authenticated:
        return None
    return actor


class StaffRole(models.TextChoices):
    # Declared from least to most powerful: the order is the ranking.
    SUPPORT = "support", _("Support")
    BILLING = "billing", _("Billing")
    MANAGER = "manager", _("Manager")
    OWNER = "owner", _("Owner")


class ContactRole(models.TextChoices):
    MEMBER = "member", _("Member")
    BILLING = "billing", _("Billing")
    OWNER = "owner", _("Account owner")


_STAFF_RANK = {role: rank for rank, role in enumerate(StaffRole)}
_CONTACT_RANK = {role: rank for rank, role in enumerate(ContactRole)}

# Back office: action -> least staff role that may take it.
STAFF_ACTIONS: dict[str, StaffRole] = {
    "backoffice.enter": StaffRole.SUPPORT,
    "audit.view": StaffRole.SUPPORT,
    "customer.view": StaffRole.SUPPORT,
    "customer.add": StaffRole.BILLING,
    "customer.change": StaffRole.BILLING,
    "customer.delete": StaffRole.MANAGER,
    "contact.view": StaffRole.SUPPORT,
    "contact.manage": StaffRole.BILLING,
    # Import customers and contacts from a file: the roles that add and change them one by one
    # (each row goes through the same services, so a field the role may not change is refused).
    "customers.import": StaffRole.BILLING,
    # Copy or e-mail a contact's portal link (it signs that contact in, once).
    "customer.portal_link": StaffRole.BILLING,
    # Act as customer: open the customer's portal view from the back office (read-only), and
    # take actions there, each of which must also be allowed by its row in ACTING_ACTIONS.
    "customer.act_as": StaffRole.SUPPORT,
    "customer.act_as.act": StaffRole.BILLING,
    # Contract terms that change what the customer owes or how they are treated.
    "customer.payment_terms.change": StaffRole.MANAGER,
    "customer.test_account.change": StaffRole.MANAGER,
    "customer.contract_partner.change": StaffRole.MANAGER,
    "catalogue.view": StaffRole.SUPPORT,
    "catalogue.manage": StaffRole.MANAGER,
    "credits.view": StaffRole.SUPPORT,
    "credits.adjust": StaffRole.MANAGER,
    # Paid support ("Billing permission"): define packages and departments, see what was
    # bought, switch a customer's department access by hand.
    "packages.manage": StaffRole.BILLING,
    "packages.purchases.view": StaffRole.BILLING,
    "department_access.manage": StaffRole.BILLING,
    "invoices.view": StaffRole.SUPPORT,
    "invoices.manage": StaffRole.BILLING,
    "invoices.void": StaffRole.MANAGER,
    # Saved cards: add one on a customer's behalf (through Stripe.js), remove, set default.
    "payment_methods.manage": StaffRole.BILLING,
    "payments.refund": StaffRole.MANAGER,
    "payment_settings.change": StaffRole.OWNER,
    "quotes.view": StaffRole.SUPPORT,
    # Draft, send, duplicate, withdraw, revise, expire quotes; turn requests into drafts.
    "quotes.manage": StaffRole.BILLING,
    "order.view": StaffRole.SUPPORT,
    "order.manage": StaffRole.BILLING,
    "subscription.view": StaffRole.SUPPORT,
    # Order, change tariff and cancel on a customer's behalf, at the dates the terms allow.
    "subscription.manage": StaffRole.BILLING,
    "subscription.termination_date.choose": StaffRole.MANAGER,
    "subscription.option.manage": StaffRole.MANAGER,
    # Module fields a module reserves for managers (others its fields name: customer, staff).
    "subscription.module_data.restricted": StaffRole.MANAGER,
    "staff.view": StaffRole.MANAGER,
    "staff.manage": StaffRole.OWNER,
    "tenant.view": StaffRole.SUPPORT,
    "tenant.change": StaffRole.OWNER,
    # Create and revoke the keys a helpdesk reports usage with (the REST API).
    "api_keys.manage": StaffRole.OWNER,
}

# Customer portal: action -> least contact role that may take it (for that customer).
CONTACT_ACTIONS: dict[str, ContactRole] = {
    "portal.view": ContactRole.MEMBER,
    "invoice.view": ContactRole.MEMBER,
    "invoice.pay": ContactRole.BILLING,
    "payment_method.manage": ContactRole.BILLING,
    "quote.view": ContactRole.MEMBER,
    "quote.request": ContactRole.MEMBER,
    # Approving commits the customer to pay: only roles that may commit money.
    "quote.approve": ContactRole.BILLING,
    "contract.edit": ContactRole.BILLING,
    "package.buy": ContactRole.BILLING,
    # Ordering a module in the portal commits the customer to pay: as package.buy.
    "subscription.order": ContactRole.BILLING,
    "subscription.change": ContactRole.OWNER,
    "subscription.cancel": ContactRole.OWNER,
    "account.contacts.manage": ContactRole.OWNER,
    "account.delete": ContactRole.OWNER,
}


# Acting as a customer (contracts.acting): the staff action that allows each portal action on
# the customer's behalf. None: never on their behalf, whatever the role, because it is the
# customer's own declaration (approving or declining a quote signs it; closing the account
# gives notice) or a change to who may log in for them.
ACTING_ACTIONS: dict[str, str | None] = {
    "portal.view": "customer.act_as",
    "invoice.view": "invoices.view",
    "invoice.pay": "invoices.manage",
    "payment_method.manage": "payment_methods.manage",
    "quote.view": "quotes.view",
    "quote.request": "quotes.manage",
    "quote.approve": None,
    "contract.edit": "customer.change",
    "package.buy": "packages.manage",
    "subscription.order": "subscription.manage",
    "subscription.change": "subscription.manage",
    "subscription.cancel": "subscription.manage",
    "account.contacts.manage": None,
    "account.delete": None,
}

# The portal actions that only look: all that acting allows a role without
# `customer.act_as.act` (Support).
ACTING_READS = frozenset({"portal.view", "invoice.view", "quote.view"})


class UnknownAction(KeyError):
    """Raised for an action missing from the matrix: a typo must fail loudly, never allow."""


def staff_role_at_least(role: str | None, least: StaffRole) -> bool:
    return role is not None and _STAFF_RANK[StaffRole(role)] >= _STAFF_RANK[least]


def contact_role_at_least(role: str | None, least: ContactRole) -> bool:
    return role is not None and _CONTACT_RANK[ContactRole(role)] >= _CONTACT_RANK[least]


def staff_role(user: User, tenant: Tenant) -> str | None:
    """The user's staff role at this tenant, memoised on the user object for the request."""
    cache = user.__dict__.setdefault("_kontor_staff_roles", {})
    if tenant.pk not in cache:
        cache[tenant.pk] = (
            user.staff_memberships.filter(tenant=tenant, is_active=True)
            .values_list("role", flat=True)
            .first()
        )
    return cache[tenant.pk]


def contact_roles_known(user: User, tenant: Tenant, roles: dict[int, str]) -> None:
    """The user's contact roles at this tenant, by customer id, where the caller has just
    loaded the user's active contacts: `contact_role` answers from them without a query."""
    cache = user.__dict__.setdefault("_kontor_contact_roles", {})
    for customer_id, role in roles.items():
        cache[(tenant.pk, customer_id)] = role


def contact_role(user: User, tenant: Tenant, customer_id: int) -> str | None:
    """The user's contact role for that customer (via the reverse relation, so that `core`
    does not import `contracts`, which sits above it)."""
    cache = user.__dict__.setdefault("_kontor_contact_roles", {})
    key = (tenant.pk, customer_id)
    if key not in cache:
        cache[key] = (
            user.contacts.filter(tenant=tenant, customer_id=customer_id, is_active=True)
            .values_list("role", flat=True)
            .first()
        )
    return cache[key]


def may_log_in(user: User, tenant: Tenant | None) -> bool:
    """May this person log in on this host at all? On a tenant's host: its staff and the
    contacts of its customers. On the bare platform host: superusers only."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    if tenant is None:
        return False
    return (
        staff_role(user, tenant) is not None
        or user.contacts.filter(tenant=tenant, is_active=True).exists()
    )


def may(
    user: User | SystemActor | None,
    action: str,
    *,
    tenant: Tenant,
    customer_id: int | None = None,
) -> bool:
    """May this user take this action at this tenant (for this customer, for portal actions)?

    Superusers may take every back-office action; they act as no customer's contact. The
    system may take every action; nobody (None) none.
    """
    if action in STAFF_ACTIONS:
        if user is SYSTEM:
            return True
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        if user.is_superuser:
            return True
        return staff_role_at_least(staff_role(user, tenant), STAFF_ACTIONS[action])
    if action in CONTACT_ACTIONS:
        if user is None or (
            user is not SYSTEM and (not user.is_authenticated or not user.is_active)
        ):
            return False
        if customer_id is None:
            raise ValueError(f"portal action {action!r} needs the customer it applies to")
        if user is SYSTEM:
            return True
        acting = acting_for.get()
        if acting is not None and acting.applies(
            user_id=user.pk, tenant_id=tenant.pk, customer_id=customer_id
        ):
            # Staff acting for this customer: their own role decides, never a contact role
            # they may also hold (contracts.acting), and nothing but read-only for Support.
            staff_action = ACTING_ACTIONS[action]
            if staff_action is None:
                return False
            if action not in ACTING_READS and not may(user, "customer.act_as.act", tenant=tenant):
                return False
            return may(user, staff_action, tenant=tenant)
        return contact_role_at_least(
            contact_role(user, tenant, customer_id), CONTACT_ACTIONS[action]
        )
    raise UnknownAction(action)


def require(
    actor: User | SystemActor | None,
    action: str,
    *,
    tenant: Tenant,
    customer_id: int | None = None,
    or_staff: str | None = None,
) -> None:
    """Enforce the matrix in a service: raise PermissionDenied unless `may` allows it.

    Staff actions need the staff role at `tenant`; portal (contact) actions need the contact
    role for `customer_id`. `or_staff` names the staff action that also allows a portal action
    (staff acting on the customer's behalf). `SYSTEM` passes; None is always refused. An action
    missing from the matrix raises UnknownAction, for the system too.
    """
    if may(actor, action, tenant=tenant, customer_id=customer_id):
        return
    if or_staff is not None and may(actor, or_staff, tenant=tenant):
        return
    raise PermissionDenied(action)
