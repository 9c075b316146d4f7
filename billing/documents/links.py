"""Signed invoice links: an e-mailed link opens that one invoice (view, download) without a
login. It expires after the tenant's `link_validity_days`; rotating the customer's link secret
(contracts.services.customer_links_revoke) revokes every link sent to them."""

from __future__ import annotations

from billing.documents.models import Invoice, InvoiceStatus
from contracts.models import Customer
from core.models import Tenant
from core.signing import LinkInvalid, peek_customer_id, sign_link, verify_link

PURPOSE = "invoice"


def invoice_link_path(invoice: Invoice) -> str:
    token = sign_link(
        purpose=PURPOSE,
        customer_id=invoice.customer_id,
        object_id=invoice.pk,
        secret=invoice.customer.link_secret,
    )
    return f"/l/invoice/{token}/"


def invoice_from_token(*, tenant: Tenant, token: str) -> Invoice:
    """The invoice a token opens, or LinkInvalid (tampered, expired, revoked, another
    business's, or a draft)."""
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
    invoice = (
        Invoice.objects.filter(tenant=tenant, customer=customer, pk=target.object_id)
        .exclude(status=InvoiceStatus.DRAFT)
        .select_related("tenant", "customer")
        .first()
    )
    if invoice is None:
        raise LinkInvalid("no such invoice")
    return invoice
