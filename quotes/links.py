"""Signed quote links: the e-mailed link opens that one quote (read, download, and approve or
decline as the business allows) without a login. Same rules as invoice links
(contracts.links): the business's link validity, revoked by rotating the customer's secret."""

from __future__ import annotations

from contracts.links import customer_link_token, linked_customer
from core.models import Tenant
from core.signing import LinkInvalid
from quotes.models import Quote, QuoteStatus

PURPOSE = "quote"


def quote_link_path(quote: Quote) -> str:
    token = customer_link_token(customer=quote.customer, purpose=PURPOSE, object_id=quote.pk)
    return f"/l/quote/{token}/"


def quote_from_token(*, tenant: Tenant, token: str) -> Quote:
    """The quote a token opens, or LinkInvalid (see linked_customer; or a draft)."""
    customer, quote_id = linked_customer(tenant=tenant, token=token, purpose=PURPOSE)
    quote = (
        Quote.objects.filter(tenant=tenant, customer=customer, pk=quote_id)
        .exclude(status=QuoteStatus.DRAFT)
        .select_related("tenant", "customer")
        .first()
    )
    if quote is None:
        raise LinkInvalid("no such quote")
    return quote
