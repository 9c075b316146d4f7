"""The sent quote's e-mail: to the customer's invoice recipients (else its account owners), in
the buyer's language, with a signed link, and the PDF attached or linked as the contract says."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing.documents.emails import invoice_recipients
from contracts.models import DocumentDelivery
from contracts.portal_links import document_link_query
from core.emails import templated_message
from core.tenancy import link_base
from quotes.links import quote_link_path
from quotes.models import Quote, QuoteStatus
from quotes.pdf import quote_pdf


def send_quote_sent(quote_id: int) -> bool:
    """Store the PDF, then e-mail the quote once per version (a retried job sends nothing)."""
    quote = Quote.objects.select_related("tenant", "customer").get(pk=quote_id)
    if quote.status == QuoteStatus.DRAFT:
        return False
    quote = quote_pdf(quote)
    with transaction.atomic():
        quote = (
            Quote.objects.select_for_update(of=("self",))
            .select_related("tenant", "customer")
            .get(pk=quote_id)
        )
        if quote.emailed_at is not None or quote.status != QuoteStatus.SENT:
            return False
        recipients = invoice_recipients(quote)
        if not recipients:
            return False
        customer, tenant = quote.customer, quote.tenant
        attach = customer.document_delivery == DocumentDelivery.ATTACHMENT
        message = templated_message(
            prefix="emails/quote_sent",
            to=recipients,
            context={
                "quote": quote,
                "customer": customer,
                # To one contact, the link also signs them in (document_link_query).
                "link": link_base(tenant)
                + quote_link_path(quote)
                + document_link_query(customer=customer, recipients=recipients),
                "attached": attach,
            },
            language=quote.buyer.get("language") or tenant.locale,
            tenant=tenant,
        )
        if attach:
            with quote.pdf.open("rb") as pdf:
                message.attach(f"{quote}.pdf".replace(" ", "-"), pdf.read(), "application/pdf")
        Quote.objects.filter(pk=quote.pk).update(emailed_at=timezone.now(), emailed_to=recipients)
        message.send()
    return True
