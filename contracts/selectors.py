"""Reads on customers and contacts, always scoped by tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from contracts.models import Contact, Customer, LegalAcceptance, LegalDocument
from core.models import Tenant, User


def contact_list_for_user(*, tenant: Tenant, user: User) -> QuerySet[Contact]:
    """The customers this person may act for at this tenant."""
    return (
        Contact.objects.filter(tenant=tenant, user=user, is_active=True)
        .select_related("customer")
        .order_by("customer__name", "customer_id")
    )


def contact_list_for_customer(*, tenant: Tenant, customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.filter(tenant=tenant, customer=customer, is_active=True).select_related(
        "user"
    )


def legal_documents_current(*, tenant: Tenant) -> list[LegalDocument]:
    """The newest published version of each kind of legal document."""
    latest: dict[str, LegalDocument] = {}
    for document in LegalDocument.objects.filter(tenant=tenant).order_by("kind", "-published_at"):
        latest.setdefault(document.kind, document)
    return list(latest.values())


def legal_documents_pending(*, tenant: Tenant, customer: Customer) -> list[LegalDocument]:
    """Current versions this customer has not accepted yet."""
    current = legal_documents_current(tenant=tenant)
    accepted = set(
        LegalAcceptance.objects.filter(customer=customer, document__in=current).values_list(
            "document_id", flat=True
        )
    )
    return [d for d in current if d.pk not in accepted]


def legal_acceptance_list(*, tenant: Tenant, customer: Customer) -> QuerySet[LegalAcceptance]:
    return LegalAcceptance.objects.filter(tenant=tenant, customer=customer).select_related(
        "document", "accepted_by__user"
    )


def legal_document_list(*, tenant: Tenant) -> QuerySet[LegalDocument]:
    return LegalDocument.objects.filter(tenant=tenant)
