from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from billing.documents.links import credit_note_link_path, invoice_link_path
from billing.documents.models import (
    PAYABLE,
    CreditNote,
    CreditNoteDelivery,
    Invoice,
    InvoiceDelivery,
    InvoiceStatus,
)
from billing.documents.pdf import credit_note_pdf, invoice_pdf
from billing.documents.selectors import (
    credit_note_outcome_sentences,
    customer_invoice_recipients,
)
from billing.documents.xrechnung import (
    XRechnungUnavailable,
    credit_note_xrechnung_xml,
    invoice_xrechnung_xml,
    xrechnung_filename,
)
from contracts.models import Customer, DocumentDelivery, EInvoiceFormat
from contracts.portal_links import document_link_query
from core.audit import audit_record
from core.emails import templated_message
from core.licence import LicenceModule, licence_enabled
from core.models import Tenant, User
from core.roles import require
from core.tenancy import tenant_host


def _no_pay_link(tenant) -> bool:
    return False


# Whether the e-mail carries a link to pay the invoice online. Set by billing.apps from the
# payments floor above, which knows the gateway: a business whose customers pay at their bank's
# page (NestPay) gets it, for nothing is charged there without the customer. Bank transfer has
# nothing to click, and Stripe charges the saved card by itself.
pay_link_offered = _no_pay_link


def invoice_recipients(invoice: Invoice) -> list[str]:
    """The customer's invoice recipients, else its account owners."""
    return customer_invoice_recipients(invoice.customer)


def invoice_message(
    *, invoice: Invoice, template: str, recipients: list[str], extra: dict | None = None
) -> EmailMultiAlternatives:
    """An e-mail about one invoice in the buyer's language, from the business, with a signed
    link to the invoice and its PDF attached when the contract says so. A customer who receives
    XRechnung gets its XML attached, however the PDF travels: the buyer's system reads it."""

    customer, tenant = invoice.customer, invoice.tenant
    attach = customer.document_delivery == DocumentDelivery.ATTACHMENT
    base = f"{settings.KONTOR_LINK_SCHEME}://{tenant_host(tenant)}{settings.KONTOR_LINK_PORT}"
    context = {
        "invoice": invoice,
        "customer": customer,
        "tenant": tenant,
        # To one contact, the link also signs them in to the portal (document_link_query).
        "link": base
        + invoice_link_path(invoice)
        + document_link_query(customer=customer, recipients=recipients),
        "pay_link": (
            base + invoice_link_path(invoice) + "pay/"
            if invoice.status in PAYABLE and invoice.amount_due > 0 and pay_link_offered(tenant)
            else ""
        ),
        "attached": attach,
        **(extra or {}),
    }
    message = templated_message(
        prefix=f"emails/{template}",
        to=recipients,
        context=context,
        language=invoice.buyer.get("language") or tenant.locale,
        tenant=tenant,
    )
    if attach:
        stored = invoice_pdf(invoice)
        message.attach(f"{invoice.number}.pdf", stored.pdf.open("rb").read(), "application/pdf")
    if _sends_xrechnung(customer, tenant):
        _attach_xrechnung(message, invoice)
    return message


def _sends_xrechnung(customer: Customer, tenant: Tenant) -> bool:
    """The customer chose XRechnung, and the business's licence includes e-invoicing."""
    return customer.einvoice_format == EInvoiceFormat.XRECHNUNG and licence_enabled(
        tenant, LicenceModule.EINVOICING
    )


def _attach_xrechnung(message: EmailMultiAlternatives, document: Invoice | CreditNote) -> None:
    build = invoice_xrechnung_xml if isinstance(document, Invoice) else credit_note_xrechnung_xml
    try:
        xml = build(document)
    except XRechnungUnavailable as gaps:
        # Issued without what XRechnung requires: the document still goes out (its PDF is a
        # valid Factur-X); an invalid XRechnung would only be rejected by the buyer's system.
        logging.getLogger(__name__).warning(
            "%s goes out without its XRechnung, which lacks: %s", document.number, gaps
        )
        return
    message.attach(xrechnung_filename(document.number), xml, "application/xml")


def send_invoice_issued(invoice_id: int, *, again: bool = False) -> bool:
    """E-mail a finalized invoice to every invoice recipient (else the account owners). Once
    per invoice, unless staff ask to send it `again` (the delivery then records the last send).
    A delivery without recipients means the invoice was handed over outside Kontor."""
    with transaction.atomic():
        invoice = Invoice.objects.select_related("tenant", "customer").get(pk=invoice_id)
        delivery = InvoiceDelivery.objects.select_for_update().filter(invoice=invoice).first()
        if (delivery and not again) or invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            return False
        recipients = invoice_recipients(invoice)
        if not recipients:
            return False
        message = invoice_message(invoice=invoice, template="invoice_issued", recipients=recipients)
        InvoiceDelivery.objects.update_or_create(
            invoice=invoice,
            defaults={
                "tenant": invoice.tenant,
                "recipients": recipients,
                "attached": bool(message.attachments),
                "sent_at": timezone.now(),
            },
        )
        message.send()
    return True


def send_credit_note_issued(note_id: int) -> bool:
    """E-mail an issued credit note to its invoice's recipients (else the account owners),
    once, attached or linked as the contract says, saying what became of the money. Only when
    the invoice itself went out by e-mail: a note for an invoice never sent (a checkout that
    expired unpaid) or handed over outside Kontor follows the same way, not by e-mail."""
    with transaction.atomic():
        note = CreditNote.objects.select_related("tenant", "customer", "invoice").get(pk=note_id)
        if CreditNoteDelivery.objects.select_for_update().filter(credit_note=note).exists():
            return False
        invoice_went_out = (
            InvoiceDelivery.objects.filter(invoice_id=note.invoice_id)
            .exclude(recipients=[])
            .exists()
        )
        recipients = invoice_recipients(note.invoice)
        if not invoice_went_out or not recipients:
            return False
        customer, tenant = note.customer, note.tenant
        attach = customer.document_delivery == DocumentDelivery.ATTACHMENT
        language = note.buyer.get("language") or tenant.locale
        base = f"{settings.KONTOR_LINK_SCHEME}://{tenant_host(tenant)}{settings.KONTOR_LINK_PORT}"
        with translation.override(language):
            outcome = credit_note_outcome_sentences(note)
        message = templated_message(
            prefix="emails/credit_note_issued",
            to=recipients,
            context={
                "note": note,
                "invoice": note.invoice,
                "customer": customer,
                "money_outcome": outcome,
                "link": base
                + credit_note_link_path(note)
                + document_link_query(customer=customer, recipients=recipients),
                "attached": attach,
            },
            language=language,
            tenant=tenant,
        )
        if attach:
            stored = credit_note_pdf(note)
            with stored.pdf.open("rb") as pdf:
                message.attach(f"{note.number}.pdf", pdf.read(), "application/pdf")
        if _sends_xrechnung(customer, tenant):
            _attach_xrechnung(message, note)
        CreditNoteDelivery.objects.create(
            tenant=tenant, credit_note=note, recipients=recipients, attached=attach
        )
        message.send()
    return True


def invoice_mark_sent(*, invoice: Invoice, actor: User) -> bool:
    """Staff handed the invoice over outside Kontor (post, in person): it is not e-mailed.
    False if it had gone out already."""
    require(actor, "invoices.manage", tenant=invoice.tenant)
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        raise ValidationError(
            _("Only finalized invoices that are not void can be marked as sent."), code="status"
        )
    _delivery, created = InvoiceDelivery.objects.get_or_create(
        invoice=invoice, defaults={"tenant": invoice.tenant, "recipients": []}
    )
    if created:
        audit_record(tenant=invoice.tenant, actor=actor, action="invoice.marked_sent", obj=invoice)
    return created
