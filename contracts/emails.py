"""The portal-link e-mail: a fresh sign-in link to one contact, from the business, in the
contact's language."""

from __future__ import annotations

from contracts.models import Contact
from contracts.portal_links import contact_may_use_portal_link, portal_link_url
from core.emails import send_templated


def send_portal_link_email(contact_id: int, nonce: str) -> bool:
    """Sign the link in the worker (so the broker never holds a usable token) and send it.
    Nothing goes out if the contact may no longer use it (closed account, removed contact)."""
    contact = (
        Contact.objects.select_related("user", "customer", "tenant").filter(pk=contact_id).first()
    )
    if contact is None or not contact_may_use_portal_link(contact):
        return False
    tenant = contact.tenant
    send_templated(
        prefix="emails/portal_link",
        to=[contact.user.email],
        context={
            "contact": contact,
            "customer": contact.customer,
            "link": portal_link_url(contact, nonce=nonce),
            "validity_days": tenant.link_validity_days,
        },
        language=contact.user.language or contact.customer.language or tenant.locale,
        tenant=tenant,
    )
    return True
