from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from billing.links import invoice_link_path
from billing.models import Invoice, InvoiceDelivery
from contracts.models import Contact, DocumentDelivery
from core.roles import ContactRole
from core.tenancy import tenant_host


def send_invoice_issued(invoice_id: int) -> bool:
    """E-mail a finalized invoice to every invoice recipient (else the account owners), with a
    signed link to it and the PDF attached or linked as the contract says. Once per invoice."""
    from billing.pdf import invoice_pdf

    with transaction.atomic():
        invoice = Invoice.objects.select_related("tenant", "customer").get(pk=invoice_id)
        if InvoiceDelivery.objects.filter(invoice=invoice).exists():
            return False
        customer, tenant = invoice.customer, invoice.tenant
        recipients = list(customer.invoice_recipients) or list(
            Contact.objects.filter(
                customer=customer, role=ContactRole.OWNER, is_active=True
            ).values_list("user__email", flat=True)
        )
        if not recipients:
            return False
        attach = customer.document_delivery == DocumentDelivery.ATTACHMENT
        base = f"{settings.KONTOR_LINK_SCHEME}://{tenant_host(tenant)}{settings.KONTOR_LINK_PORT}"
        context = {
            "invoice": invoice,
            "customer": customer,
            "tenant": tenant,
            "link": base + invoice_link_path(invoice),
            "attached": attach,
        }
        with translation.override(invoice.buyer.get("language") or tenant.locale):
            subject = " ".join(
                render_to_string("emails/invoice_issued_subject.txt", context).split()
            )
            text = render_to_string("emails/invoice_issued.txt", context)
            html = render_to_string("emails/invoice_issued.html", context)
        address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
        message = EmailMultiAlternatives(
            subject=f"[{tenant.name}] {subject}",
            body=text,
            from_email=f"{tenant.name} <{address}>",
            to=recipients,
        )
        message.attach_alternative(html, "text/html")
        if attach:
            stored = invoice_pdf(invoice)
            message.attach(f"{invoice.number}.pdf", stored.pdf.open("rb").read(), "application/pdf")
        InvoiceDelivery.objects.create(
            tenant=tenant, invoice=invoice, recipients=recipients, attached=attach
        )
        message.send()
    return True
