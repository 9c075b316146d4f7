"""Writes on customers and contacts: one transaction each, audited."""

from __future__ import annotations

from django.db import transaction

from contracts.models import Contact, Customer, new_link_secret
from core.audit import audit_record, snapshot
from core.models import Tenant, User
from core.roles import ContactRole
from core.services import user_get_or_create


@transaction.atomic
def customer_create(*, tenant: Tenant, name: str, number: str = "", actor: User | None) -> Customer:
    customer = Customer.objects.create(tenant=tenant, name=name, number=number)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.create",
        obj=customer,
        after=snapshot(customer, ["name", "number"]),
    )
    return customer


@transaction.atomic
def contact_add(
    *,
    customer: Customer,
    email: str,
    role: str = ContactRole.MEMBER,
    full_name: str = "",
    actor: User | None,
) -> Contact:
    """Give a person (found or created by e-mail) access to the customer's portal."""
    user = user_get_or_create(email=email, full_name=full_name)
    contact, created = Contact.objects.get_or_create(
        customer=customer, user=user, defaults={"tenant": customer.tenant, "role": role}
    )
    if not created and (contact.role != role or not contact.is_active):
        before = snapshot(contact, ["role", "is_active"])
        contact.role, contact.is_active = role, True
        contact.save(update_fields=["role", "is_active"])
        audit_record(
            tenant=customer.tenant,
            actor=actor,
            action="contact.change",
            obj=contact,
            before=before,
            after=snapshot(contact, ["role", "is_active"]),
        )
    elif created:
        audit_record(
            tenant=customer.tenant,
            actor=actor,
            action="contact.add",
            obj=contact,
            after={"email": user.email, "role": role},
        )
    return contact


@transaction.atomic
def customer_register_self(*, tenant: Tenant, user: User) -> Contact:
    """A person signed up on a tenant that allows self-registration: a new customer account
    whose owner they are."""
    customer = customer_create(tenant=tenant, name=user.full_name or user.email, actor=user)
    return contact_add(customer=customer, email=user.email, role=ContactRole.OWNER, actor=user)


@transaction.atomic
def customer_links_revoke(*, customer: Customer, actor: User | None) -> Customer:
    """Invalidate every signed link ever sent to this customer."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    customer.link_secret = new_link_secret()
    customer.save(update_fields=["link_secret"])
    audit_record(tenant=customer.tenant, actor=actor, action="customer.links_revoke", obj=customer)
    return customer
