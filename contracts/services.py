"""Writes on customers and contacts: one transaction each, audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import (
    Contact,
    Customer,
    LegalAcceptance,
    LegalDocument,
    new_link_secret,
)
from core.audit import audit_record, snapshot
from core.models import Tenant, User
from core.roles import ContactRole, SystemActor, may, require
from core.services import user_get_or_create

_ADDRESS = [
    "billing_company",
    "billing_street",
    "billing_street_2",
    "billing_postal_code",
    "billing_city",
    "billing_country",
]
_DELIVERY = ["po_number", "invoice_recipients", "document_delivery", "buyer_reference"]
# What the customer may keep up to date themselves besides the address: its tax numbers.
_TAX_NUMBERS = ["vat_id", "tax_id"]
# The registrations, which only the business's staff record.
_IDENTITY = [
    "legal_form",
    "siren",
    "siret",
    "rcs_city",
    "register_court",
    "register_number",
    "rea_number",
    "tax_office",
]

# Which action of the role matrix changing each contract field takes, for the business's staff
# and for the customer's own contacts. A field missing from a table cannot be changed that way.
STAFF_FIELD_ACTIONS: dict[str, str] = {
    **dict.fromkeys(
        [
            "name",
            "number",
            "language",
            "vat_regime",
            "vat_exemption_reason",
            *_TAX_NUMBERS,
            *_IDENTITY,
            *_ADDRESS,
            *_DELIVERY,
            # The business decides with its customer what e-invoice it sends (staff only).
            "einvoice_format",
        ],
        "customer.change",
    ),
    "payment_terms_days": "customer.payment_terms.change",
    "is_test_account": "customer.test_account.change",
    "contract_partner": "customer.contract_partner.change",
}
CONTACT_FIELD_ACTIONS: dict[str, str] = dict.fromkeys(
    [*_ADDRESS, *_TAX_NUMBERS, *_DELIVERY], "contract.edit"
)


def customer_fields_allowed(
    *, customer: Customer | None, tenant: Tenant, actor: User, as_contact: bool = False
) -> set[str]:
    """The contract fields this person may change on this customer."""
    table = CONTACT_FIELD_ACTIONS if as_contact else STAFF_FIELD_ACTIONS
    customer_id = customer.pk if as_contact and customer is not None else None
    return {
        field
        for field, action in table.items()
        if may(actor, action, tenant=tenant, customer_id=customer_id)
    }


@transaction.atomic
def customer_create(
    *, tenant: Tenant, name: str, actor: User | SystemActor, number: str = "", **fields: Any
) -> Customer:
    """A new customer account, added by the business's staff (`customer.add`) or a job."""
    require(actor, "customer.add", tenant=tenant)
    return _customer_insert(tenant=tenant, name=name, number=number, actor=actor, **fields)


def _customer_insert(
    *, tenant: Tenant, name: str, number: str, actor: User | SystemActor, **fields: Any
) -> Customer:
    customer = Customer(tenant=tenant, name=name, number=number, **fields)
    customer.full_clean(exclude=["contract_partner"])
    customer.save()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="customer.create",
        obj=customer,
        after=snapshot(customer, ["name", "number", *fields]),
    )
    return customer


@transaction.atomic
def customer_update(
    *, customer: Customer, actor: User, changes: Mapping[str, Any], as_contact: bool = False
) -> Customer:
    """Change contract data. Staff change what their role allows (payment terms, test account
    and contract partner: Manager and up); the customer's contacts only the billing address,
    tax numbers, PO number, buyer reference and invoice recipients. Anything else is refused,
    not silently dropped."""
    allowed = customer_fields_allowed(
        customer=customer, tenant=customer.tenant, actor=actor, as_contact=as_contact
    )
    refused = set(changes) - allowed
    if refused:
        raise PermissionDenied(f"may not change {', '.join(sorted(refused))}")
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    before = snapshot(locked, list(changes))
    for field, value in changes.items():
        setattr(locked, field, value)
    partner = changes.get("contract_partner")
    if partner is not None and partner.customer_id != locked.pk:
        raise ValidationError({"contract_partner": _("Choose one of this customer's contacts.")})
    locked.full_clean()
    locked.save(update_fields=list(changes))
    audit_record(
        tenant=locked.tenant,
        actor=actor,
        action="customer.change",
        obj=locked,
        before=before,
        after=snapshot(locked, list(changes)),
    )
    return locked


@transaction.atomic
def contact_add(
    *,
    customer: Customer,
    email: str,
    role: str = ContactRole.MEMBER,
    full_name: str = "",
    actor: User | SystemActor,
) -> Contact:
    """Give a person (found or created by e-mail) access to the customer's portal: the
    business's staff (`contact.manage`) or a job; never the customer's own contacts while
    acting (`account.contacts.manage` has no acting row)."""
    require(actor, "contact.manage", tenant=customer.tenant)
    return _contact_insert(
        customer=customer, email=email, role=role, full_name=full_name, actor=actor
    )


def _contact_insert(
    *, customer: Customer, email: str, role: str, full_name: str, actor: User | SystemActor
) -> Contact:
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
def customer_sign_up(*, tenant: Tenant, user: User, name: str, **fields: Any) -> Contact:
    """A person signs up as a new customer, of which they become the account owner. No role
    gates it: the way in does (the business's open self-registration, a payment link), and
    the caller checks it; the person is the actor of the audit entries."""
    customer = _customer_insert(tenant=tenant, name=name, number="", actor=user, **fields)
    return _contact_insert(
        customer=customer, email=user.email, role=ContactRole.OWNER, full_name="", actor=user
    )


@transaction.atomic
def customer_register_self(*, tenant: Tenant, user: User) -> Contact:
    """A person signed up on a tenant that allows self-registration: a new customer account
    whose owner they are."""
    if not tenant.self_registration_enabled:
        raise PermissionDenied("self-registration is closed at this business")
    return customer_sign_up(tenant=tenant, user=user, name=user.full_name or user.email)


@transaction.atomic
def customer_links_revoke(*, customer: Customer, actor: User | SystemActor) -> Customer:
    """Invalidate every signed link ever sent to this customer."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    customer.link_secret = new_link_secret()
    customer.save(update_fields=["link_secret"])
    audit_record(tenant=customer.tenant, actor=actor, action="customer.links_revoke", obj=customer)
    return customer


@transaction.atomic
def legal_document_publish(
    *, tenant: Tenant, kind: str, version: str, title: str, body: str, actor: User | SystemActor
) -> LegalDocument:
    """A new version of the terms or privacy policy; every customer is asked to accept it."""
    document = LegalDocument(
        tenant=tenant,
        kind=kind,
        version=version,
        title=title,
        body=body,
        published_at=timezone.now(),
    )
    document.full_clean()
    document.save()
    audit_record(
        tenant=tenant,
        actor=actor,
        action="legal.publish",
        obj=document,
        after={"kind": kind, "version": version},
    )
    return document


@transaction.atomic
def legal_accept(
    *, contact: Contact, documents: list[LegalDocument], actor: User
) -> list[LegalAcceptance]:
    """The contact accepts these document versions for their customer (once each)."""
    accepted = []
    for document in documents:
        if document.tenant_id != contact.tenant_id:
            raise PermissionDenied("document of another business")
        acceptance, created = LegalAcceptance.objects.get_or_create(
            customer=contact.customer,
            document=document,
            defaults={"tenant": contact.tenant, "accepted_by": contact},
        )
        if created:
            audit_record(
                tenant=contact.tenant,
                actor=actor,
                action="legal.accept",
                obj=contact.customer,
                after={"document": str(document)},
            )
        accepted.append(acceptance)
    return accepted


@transaction.atomic
def customer_close(*, customer: Customer, actor: User) -> Customer:
    """Close the account: every contact loses access, every signed link stops working. The
    records stay (documents must be kept); callers check first that nothing is still running."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.closed_at is not None:
        return locked
    locked.closed_at = timezone.now()
    locked.link_secret = new_link_secret()
    locked.save(update_fields=["closed_at", "link_secret"])
    Contact.objects.filter(customer=locked).update(is_active=False)
    audit_record(tenant=locked.tenant, actor=actor, action="customer.close", obj=locked)
    return locked
