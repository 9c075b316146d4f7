"""What the demo's home page on the bare host shows: each business with its addresses, demo
logins, payment links and the contacts a single-use portal link can be made for."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

from billing.models import PaymentLink
from contracts.models import Contact
from contracts.portal_links import contact_may_use_portal_link
from core.models import Tenant
from core.roles import ContactRole
from core.tenancy import tenant_host
from portal.demo import demo_logins


@dataclass
class DemoBusiness:
    tenant: Tenant
    base: str  # scheme, host and port of its portal, e.g. http://acme.localhost:8000
    logins: list[tuple[str, str]] = field(default_factory=list)  # (e-mail, what it is)
    payment_links: list[tuple[str, str]] = field(default_factory=list)  # (title, address)
    portal_link_contacts: list[Contact] = field(default_factory=list)

    @property
    def portal_url(self) -> str:
        return f"{self.base}/"

    @property
    def back_office_url(self) -> str:
        return f"{self.base}/manage/"

    @property
    def api_docs_url(self) -> str:
        return f"{self.base}/api/v1/docs/"


def demo_businesses(*, scheme: str, port: str) -> list[DemoBusiness]:
    """Every active business, with what the demo seeded for it. Three queries, however many
    businesses, links and contacts there are."""
    tenants = list(Tenant.objects.filter(is_active=True).order_by("name", "pk"))
    suffix = f":{port}" if port else ""
    businesses = {
        t.pk: DemoBusiness(tenant=t, base=f"{scheme}://{tenant_host(t)}{suffix}") for t in tenants
    }
    by_slug = {b.tenant.slug: b for b in businesses.values()}
    for slug, email, what in demo_logins():
        if slug in by_slug:
            by_slug[slug].logins.append((email, what))
    links = PaymentLink.objects.filter(tenant__in=tenants, is_active=True).order_by(
        "created_at", "pk"
    )
    for link in links:
        business = businesses[link.tenant_id]
        business.payment_links.append(
            (link.name, f"{business.base}{reverse('payment_link', args=[link.slug])}")
        )
    owners = (
        Contact.objects.filter(
            customer__tenant__in=tenants,
            role=ContactRole.OWNER,
            is_active=True,
            user__is_active=True,
            customer__closed_at__isnull=True,
        )
        .select_related("user", "customer", "tenant")
        .order_by("customer__number", "user__email")
    )
    for contact in owners:
        businesses[contact.customer.tenant_id].portal_link_contacts.append(contact)
    return list(businesses.values())


def demo_portal_link_contact(*, tenant_slug: str, email: str) -> Contact | None:
    """The account owner a portal link is asked for on the home page, if it may have one."""
    contact = (
        Contact.objects.filter(
            customer__tenant__slug=tenant_slug,
            customer__tenant__is_active=True,
            user__email__iexact=email,
            role=ContactRole.OWNER,
        )
        .select_related("user", "customer__tenant", "tenant")
        .first()
    )
    if contact is None or not contact_may_use_portal_link(contact):
        return None
    return contact
