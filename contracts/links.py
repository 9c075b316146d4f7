"""Signed links to one of a customer's documents (an invoice, a quote): signed with the
customer's link secret, so rotating it (customer_links_revoke) revokes every link sent to them,
and valid for the business's `link_validity_days`."""

from __future__ import annotations

from contracts.models import Customer
from core.models import Tenant
from core.signing import LinkInvalid, LinkTarget, peek_customer_id, sign_link, verify_link


def customer_link_token(
    *, customer: Customer, purpose: str, object_id: int, nonce: str = ""
) -> str:
    return sign_link(
        purpose=purpose,
        customer_id=customer.pk,
        object_id=object_id,
        secret=customer.link_secret,
        nonce=nonce,
    )


def linked_customer(*, tenant: Tenant, token: str, purpose: str) -> tuple[Customer, int]:
    """The customer a token was signed for and the id of the object it opens, or LinkInvalid
    (tampered, expired, revoked, another purpose, another business's, a closed account)."""
    customer, target = linked_target(tenant=tenant, token=token, purpose=purpose)
    return customer, target.object_id


def linked_target(*, tenant: Tenant, token: str, purpose: str) -> tuple[Customer, LinkTarget]:
    """As linked_customer, with the whole verified target (a single-use link's nonce too)."""
    customer = Customer.objects.filter(tenant=tenant, pk=peek_customer_id(token)).first()
    if customer is None or customer.closed_at is not None:
        raise LinkInvalid("unknown customer")
    target = verify_link(
        token,
        purpose=purpose,
        secret=customer.link_secret,
        max_age_seconds=tenant.link_validity_days * 86400,
    )
    if target.customer_id != customer.pk:
        raise LinkInvalid("signed for another customer")
    return customer, target
