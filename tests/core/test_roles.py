"""The role matrix, walked row by row: each action is allowed from its least role upwards."""

import pytest

from core.roles import (
    CONTACT_ACTIONS,
    STAFF_ACTIONS,
    ContactRole,
    StaffRole,
    UnknownAction,
    may,
)
from tests.factories import ContactFactory, StaffMembershipFactory, UserFactory

STAFF_ORDER = list(StaffRole)
CONTACT_ORDER = list(ContactRole)

# The matrix as the business decided it, written out a second time on purpose: a change to
# core/roles.py must be made here too, so nobody widens a role by accident.
EXPECTED_STAFF = {
    "backoffice.enter": "support",
    "audit.view": "support",
    "customer.view": "support",
    "customer.add": "billing",
    "customer.change": "billing",
    "customer.delete": "manager",
    "contact.view": "support",
    "contact.manage": "billing",
    "customers.import": "billing",
    "customer.portal_link": "billing",
    "customer.act_as": "support",
    "customer.act_as.act": "billing",
    "customer.payment_terms.change": "manager",
    "customer.test_account.change": "manager",
    "customer.contract_partner.change": "manager",
    "catalogue.view": "support",
    "catalogue.manage": "manager",
    "credits.view": "support",
    "credits.adjust": "manager",
    "packages.manage": "billing",
    "packages.purchases.view": "billing",
    "department_access.manage": "billing",
    "invoices.view": "support",
    "invoices.manage": "billing",
    "payment_methods.manage": "billing",
    "payments.refund": "manager",
    "payment_settings.change": "owner",
    "invoices.void": "manager",
    "quotes.view": "support",
    "quotes.manage": "billing",
    "order.view": "support",
    "order.manage": "billing",
    "subscription.view": "support",
    "subscription.manage": "billing",
    "subscription.termination_date.choose": "manager",
    "subscription.option.manage": "manager",
    "subscription.module_data.restricted": "manager",
    "staff.view": "manager",
    "staff.manage": "owner",
    "tenant.view": "support",
    "tenant.change": "owner",
    "api_keys.manage": "owner",
}
EXPECTED_CONTACT = {
    "portal.view": "member",
    "invoice.view": "member",
    "invoice.pay": "billing",
    "payment_method.manage": "billing",
    "quote.view": "member",
    "quote.request": "member",
    "quote.approve": "billing",
    "contract.edit": "billing",
    "package.buy": "billing",
    "subscription.order": "billing",
    "subscription.change": "owner",
    "subscription.cancel": "owner",
    "account.contacts.manage": "owner",
    "account.delete": "owner",
}


def test_the_matrix_is_the_one_the_business_decided():
    assert {a: r.value for a, r in STAFF_ACTIONS.items()} == EXPECTED_STAFF
    assert {a: r.value for a, r in CONTACT_ACTIONS.items()} == EXPECTED_CONTACT


@pytest.mark.django_db
@pytest.mark.parametrize("action,least", sorted(EXPECTED_STAFF.items()))
def test_staff_actions_follow_the_matrix(world, action, least):
    least = StaffRole(least)
    for role in STAFF_ORDER:
        user = world.staff["acme", role.value]
        expected = STAFF_ORDER.index(role) >= STAFF_ORDER.index(least)
        assert may(user, action, tenant=world.acme) is expected, (action, role)
        # The same person has no power at the other tenant.
        assert may(user, action, tenant=world.globex) is False


@pytest.mark.django_db
@pytest.mark.parametrize("action,least", sorted(EXPECTED_CONTACT.items()))
def test_contact_actions_follow_the_matrix(world, action, least):
    least = ContactRole(least)
    for role in CONTACT_ORDER:
        contact = ContactFactory(customer=world.alpha, role=role)
        expected = CONTACT_ORDER.index(role) >= CONTACT_ORDER.index(least)
        assert may(contact.user, action, tenant=world.acme, customer_id=world.alpha.pk) is expected
        # A contact of Alpha has no say over Bravo's account, nor at another tenant.
        assert may(contact.user, action, tenant=world.acme, customer_id=world.bravo.pk) is False
        assert may(contact.user, action, tenant=world.globex, customer_id=world.alpha.pk) is False


@pytest.mark.django_db
def test_an_unknown_action_fails_loudly(world):
    with pytest.raises(UnknownAction):
        may(world.staff["acme", "owner"], "customer.chnage", tenant=world.acme)


@pytest.mark.django_db
def test_customers_have_no_back_office_power_and_staff_no_portal_power(world):
    assert may(world.alice, "backoffice.enter", tenant=world.acme) is False
    owner = world.staff["acme", "owner"]
    assert may(owner, "invoice.pay", tenant=world.acme, customer_id=world.alpha.pk) is False


@pytest.mark.django_db
def test_inactive_people_and_memberships_may_nothing(world):
    manager = world.staff["acme", "manager"]
    manager.staff_memberships.update(is_active=False)
    manager = type(manager).objects.get(pk=manager.pk)  # drop the per-request memo
    assert may(manager, "customer.view", tenant=world.acme) is False
    world.alice.is_active = False
    assert may(world.alice, "portal.view", tenant=world.acme, customer_id=world.alpha.pk) is False


@pytest.mark.django_db
def test_superusers_may_every_back_office_action(world):
    root = UserFactory(is_superuser=True)
    assert all(may(root, action, tenant=world.globex) for action in STAFF_ACTIONS)


@pytest.mark.django_db
def test_a_portal_action_needs_the_customer(world):
    with pytest.raises(ValueError):
        may(world.alice, "invoice.pay", tenant=world.acme)


def test_every_role_is_ranked_and_every_action_names_a_real_role():
    assert set(STAFF_ACTIONS.values()) <= set(StaffRole)
    assert set(CONTACT_ACTIONS.values()) <= set(ContactRole)
    assert not set(STAFF_ACTIONS) & set(CONTACT_ACTIONS)


@pytest.mark.django_db
def test_staff_membership_factory_roles_are_separate_per_tenant(world):
    other = StaffMembershipFactory(tenant=world.globex, role=StaffRole.OWNER).user
    assert may(other, "tenant.change", tenant=world.globex)
    assert not may(other, "tenant.view", tenant=world.acme)
