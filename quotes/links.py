"""Signed quote links: the e-mailed link opens that one quote (read, download, and approve or
decline as the business allows) without a login. Same rules as invoice links: the business's
`link_validity_days`, revoked by rotating the customer's link secret."""

from __future__ import annotations

from contracts.models import Customer
from core.models import Tenant
from core.signing import LinkInvalid, peek_customer_id, sign_link, verify_link
from quotes.models import Quote, QuoteStatus

PURPOSE = "quote"


def quote_link_path(quote: Quote) -> str:
    token = sign_link(
        purpose=PURPOSE,
        customer_id=quote.customer_id,
        object_id=quote.pk,
        secret=quote.customer.link_secret,
    )
    return f"/l/quote/{token}/"


def quote_from_token(*, tenant: Tenant, token: str) -> Quote:
    """The quote a token opens, or LinkInvalid (tampered, expired, revoked, another
    business's or customer's, or a draft)."""
    customer = Customer.objects.filter(tenant=tenant, pk=peek_customer_id(token)).first()
    if customer is None or customer.closed_at is not None:
        raise LinkInvalid("unknown customer")
    target = verify_link(
        token,
        purpose=PURPOSE,
        secret=customer.link_secret,
        max_age_seconds=tenant.link_validity_days * 86400,
    )
    if target.customer_id != customer.pk:
        raise LinkInvalid("signed for another customer")
    quote = (
        Quote.objects.filter(tenant=tenant, customer=customer, pk=target.object_id)
        .exclude(status=QuoteStatus.DRAFT)
        .select_related("tenant", "customer")
        .first()
    )
    if quote is None:
        raise LinkInvalid("no such quote")
    return quote
