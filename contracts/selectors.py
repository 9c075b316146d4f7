"""Reads on customers and contacts, always scoped by tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from contracts.models import Contact, Customer
from core.models import Tenant, User


def customer_list(*, tenant: Tenant) -> QuerySet[Customer]:
    return Customer.objects.filter(tenant=tenant)


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
