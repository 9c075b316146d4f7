"""Signed invoice links: an e-mailed link opens that one invoice (view, download) without a
login. It expires after the tenant's `link_validity_days`; rotating the customer's link secret
(contracts.services.customer_links_revoke) revokes every link sent to them."""

from __future__ import annotations

from billing.documents.models import CreditNote, Invoice, InvoiceStatus
from contracts.links import customer_link_token, linked_customer
from core.models import Tenant
from core.signing import LinkInvalid

PURPOSE = "invoice"
CREDIT_NOTE_PURPOSE = "credit_note"


def invoice_link_path(invoice: Invoice) -> str:
    token = customer_link_token(customer=invoice.customer, purpose=PURPOSE, object_id=invoice.pk)
    return f"/l/invoice/{token}/"


def invoice_from_token(*, tenant: Tenant, token: str) -> Invoice:
    """The invoice a token opens, or LinkInvalid (see linked_customer; or a draft)."""
    customer, invoice_id = linked_customer(tenant=tenant, token=token, purpose=PURPOSE)
    invoice = (
        Invoice.objects.filter(tenant=tenant, customer=customer, pk=invoice_id)
        .exclude(status=InvoiceStatus.DRAFT)
        .select_related("tenant", "customer")
        .first()
    )
    if invoice is None:
        raise LinkInvalid("no such invoice")
    return invoice


def credit_note_link_path(note: CreditNote) -> str:
    """The e-mailed link to a credit note's PDF (a customer whose contract asks for links)."""
    token = customer_link_token(
        customer=note.customer, purpose=CREDIT_NOTE_PURPOSE, object_id=note.pk
    )
    return f"/l/credit-note/{token}/pdf"


def credit_note_from_token(*, tenant: Tenant, token: str) -> CreditNote:
    """The credit note a token opens, or LinkInvalid (see linked_customer)."""
    customer, note_id = linked_customer(tenant=tenant, token=token, purpose=CREDIT_NOTE_PURPOSE)
    note = (
        CreditNote.objects.filter(tenant=tenant, customer=customer, pk=note_id)
        .select_related("tenant")
        .first()
    )
    if note is None:
        raise LinkInvalid("no such credit note")
    return note
