"""`require`, the one permission check services make: the matrix enforced, SYSTEM for jobs,
and None — an actor somebody forgot — refused everywhere."""

import copy
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import TaxRate
from billing.payments.services import invoice_mark_paid, payment_method_set_default
from contracts.models import Contact, Customer
from contracts.services import contact_add, customer_create, customer_register_self
from core.audit import audit_record
from core.models import AuditEntry
from core.roles import (
    CONTACT_ACTIONS,
    STAFF_ACTIONS,
    SYSTEM,
    ContactRole,
    StaffRole,
    SystemActor,
    UnknownAction,
    may,
    require,
)
from subscriptions.credits import credits_use
from subscriptions.orders import order_create
from subscriptions.services import subscription_order
from tests.billing.test_payments import save_card
from tests.factories import ContactFactory, ModuleFactory, TariffFactory, UserFactory

STAFF_ORDER = list(StaffRole)
CONTACT_ORDER = list(ContactRole)


def test_system_is_one_object_that_names_itself():
    assert repr(SYSTEM) == "SYSTEM"
    assert SystemActor() is SYSTEM
    assert copy.deepcopy(SYSTEM) is SYSTEM


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(STAFF_ACTIONS))
def test_the_system_passes_and_nobody_is_refused_every_staff_action(world, action):
    require(SYSTEM, action, tenant=world.acme)
    with pytest.raises(PermissionDenied):
        require(None, action, tenant=world.acme)
    with pytest.raises(PermissionDenied):
        require(AnonymousUser(), action, tenant=world.acme)
    assert may(None, action, tenant=world.acme) is False


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(CONTACT_ACTIONS))
def test_the_system_passes_and_nobody_is_refused_every_portal_action(world, action):
    require(SYSTEM, action, tenant=world.acme, customer_id=world.alpha.pk)
    with pytest.raises(PermissionDenied):
        require(None, action, tenant=world.acme, customer_id=world.alpha.pk)
    with pytest.raises(PermissionDenied):
        require(AnonymousUser(), action, tenant=world.acme, customer_id=world.alpha.pk)
    assert may(None, action, tenant=world.acme, customer_id=world.alpha.pk) is False


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(STAFF_ACTIONS))
def test_staff_below_the_actions_role_are_refused_and_the_rest_pass(world, action):
    least = STAFF_ACTIONS[action]
    for role in STAFF_ORDER:
        user = world.staff["acme", role.value]
        if STAFF_ORDER.index(role) >= STAFF_ORDER.index(least):
            require(user, action, tenant=world.acme)
        else:
            with pytest.raises(PermissionDenied):
                require(user, action, tenant=world.acme)
        # The same person has no power at the other tenant.
        with pytest.raises(PermissionDenied):
            require(user, action, tenant=world.globex)


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(CONTACT_ACTIONS))
def test_contacts_below_the_actions_role_or_of_another_customer_are_refused(world, action):
    least = CONTACT_ACTIONS[action]
    for role in CONTACT_ORDER:
        user = ContactFactory(customer=world.alpha, role=role).user
        if CONTACT_ORDER.index(role) >= CONTACT_ORDER.index(least):
            require(user, action, tenant=world.acme, customer_id=world.alpha.pk)
        else:
            with pytest.raises(PermissionDenied):
                require(user, action, tenant=world.acme, customer_id=world.alpha.pk)
    # bob owns Bravo, charlie owns Charlie at globex: neither has a say over Alpha.
    for outsider, tenant in ((world.bob, world.acme), (world.charlie, world.globex)):
        with pytest.raises(PermissionDenied):
            require(outsider, action, tenant=tenant, customer_id=world.alpha.pk)


@pytest.mark.django_db
def test_staff_have_no_portal_power_and_contacts_no_back_office_power(world):
    with pytest.raises(PermissionDenied):
        require(world.staff["acme", "owner"], "invoice.pay", tenant=world.acme, customer_id=1)
    with pytest.raises(PermissionDenied):
        require(world.alice, "invoices.view", tenant=world.acme)


@pytest.mark.django_db
def test_superusers_pass_back_office_actions_and_inactive_people_none(world):
    require(UserFactory(is_superuser=True), "tenant.change", tenant=world.globex)
    world.alice.is_active = False
    with pytest.raises(PermissionDenied):
        require(world.alice, "portal.view", tenant=world.acme, customer_id=world.alpha.pk)


@pytest.mark.django_db
def test_a_typo_or_a_missing_customer_fails_loudly_for_the_system_too(world):
    with pytest.raises(UnknownAction):
        require(SYSTEM, "invoices.mange", tenant=world.acme)
    with pytest.raises(ValueError):
        require(SYSTEM, "invoice.pay", tenant=world.acme)


# ---------------------------------------------------------------------------------------------
# The services that used to read None as "a job" now refuse it


@pytest.fixture
def vat(world):
    return TaxRate.objects.create(
        tenant=world.acme, name="Standard", rate=Decimal("19"), is_default=True
    )


@pytest.mark.django_db
def test_invoice_services_refuse_nobody_and_let_the_system_work(world, vat):
    with pytest.raises(PermissionDenied):
        invoice_create_draft(customer=world.alpha, actor=None)
    draft = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    with pytest.raises(PermissionDenied):
        invoice_add_line(invoice=draft, description="Work", unit_price=Decimal(10), actor=None)
    invoice_add_line(invoice=draft, description="Work", unit_price=Decimal(10), actor=SYSTEM)
    with pytest.raises(PermissionDenied):
        invoice_finalize(invoice=draft, actor=None, today=date(2026, 3, 1))
    invoice = invoice_finalize(invoice=draft, actor=SYSTEM, today=date(2026, 3, 1))
    with pytest.raises(PermissionDenied):
        invoice_mark_paid(invoice=invoice, actor=None, amount=invoice.gross_amount)
    # The system's work is audited as it always was: no person, labelled "system".
    entry = AuditEntry.objects.get(action="invoice.draft")
    assert entry.actor is None and entry.actor_label == "system"


@pytest.mark.django_db
def test_subscription_and_order_services_refuse_nobody(world):
    tariff = TariffFactory(module=ModuleFactory(tenant=world.acme))
    with pytest.raises(PermissionDenied):
        subscription_order(
            customer=world.alpha, tariff=tariff, actor=None, start_on=date(2026, 1, 1)
        )
    with pytest.raises(PermissionDenied):
        order_create(customer=world.alpha, title="Setup", actor=None)
    with pytest.raises(PermissionDenied):
        order_create(customer=world.alpha, title="Setup", actor=world.staff["acme", "support"])
    order = order_create(customer=world.alpha, title="Setup", actor=SYSTEM)
    assert order.stages.get(position=0).reached_by is None


@pytest.mark.django_db
def test_customer_and_contact_services_check_the_role_like_the_others(world):
    support, billing = world.staff["acme", "support"], world.staff["acme", "billing"]
    # Nobody, a role below Billing, a customer's own contact, another business's staff: refused.
    for actor in (None, AnonymousUser(), support, world.alice, world.staff["globex", "owner"]):
        with pytest.raises(PermissionDenied):
            customer_create(tenant=world.acme, name="Foxtrot", number="F-1", actor=actor)
        with pytest.raises(PermissionDenied):
            contact_add(customer=world.alpha, email="dora@example.test", actor=actor)
    assert not Customer.objects.filter(number="F-1").exists()
    assert not Contact.objects.filter(user__email="dora@example.test").exists()
    # Billing and up, and jobs, pass.
    created = customer_create(tenant=world.acme, name="Foxtrot", number="F-1", actor=billing)
    contact_add(customer=created, email="dora@example.test", actor=billing)
    customer_create(tenant=world.acme, name="Golf", number="G-1", actor=SYSTEM)
    contact_add(customer=created, email="emil@example.test", actor=SYSTEM)
    assert Contact.objects.filter(customer=created).count() == 2


@pytest.mark.django_db
def test_a_person_signs_up_without_a_role_only_where_the_business_lets_them(world):
    newcomer = UserFactory(email="newcomer@example.test", full_name="New Comer")
    contact = customer_register_self(tenant=world.acme, user=newcomer)
    assert contact.role == ContactRole.OWNER and contact.customer.name == "New Comer"
    entry = AuditEntry.objects.get(action="customer.create", object_id=str(contact.customer_id))
    assert entry.actor == newcomer
    with pytest.raises(PermissionDenied):  # globex has no open registration
        customer_register_self(tenant=world.globex, user=newcomer)


@pytest.mark.django_db
def test_credit_use_has_no_silent_default_actor_any_more(world):
    with pytest.raises(TypeError):
        credits_use(customer=world.alpha, units=1, today=date(2026, 3, 1))  # type: ignore[call-arg]


@pytest.mark.django_db
def test_cards_are_managed_by_the_customers_contact_or_staff_on_their_behalf(stripe_acme, world):
    card = save_card(world, stripe_acme)
    payment_method_set_default(method=card, actor=world.alice)  # Alpha's owner
    payment_method_set_default(method=card, actor=world.staff["acme", "billing"])
    payment_method_set_default(method=card, actor=SYSTEM)  # the invoice link
    for refused in (
        None,
        world.bob,
        world.staff["acme", "support"],
        world.staff["globex", "owner"],
    ):
        with pytest.raises(PermissionDenied):
            payment_method_set_default(method=card, actor=refused)


@pytest.mark.django_db
def test_the_audit_log_takes_the_system_and_refuses_nobody(world):
    entry = audit_record(tenant=world.acme, actor=SYSTEM, action="probe.system")
    assert entry.actor is None and entry.actor_label == "system"
    with pytest.raises(TypeError):
        audit_record(tenant=world.acme, actor=None, action="probe.nobody")
