"""The e-mails a package purchase sends once its invoice is issued.

One message to each address, each address once (compared case-insensitively): the buyer, or,
when the buyer is not one of the customer's contacts (staff on their behalf, the system for an
automatic top-up), the customer's usual recipients; then the business's general address and
each CC address. Each reads in their own language and names what was bought, what it gives,
and the invoice with its link. An address on both sides gets the customer's message: it is
the one about their own purchase, and it opens the invoice without the back office.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from billing.documents.links import invoice_link_path
from billing.documents.models import Invoice
from billing.documents.selectors import customer_invoice_recipients
from contracts.models import Contact
from contracts.portal_links import document_link_query
from core.emails import send_each_once, send_templated
from core.models import StaffMembership
from core.tenancy import link_base
from subscriptions.models import Order, PackagePurchase


@dataclass(frozen=True)
class PurchaseRecipient:
    address: str
    language: str
    is_customer: bool  # False: the business's general or CC address


def _languages(people: QuerySet) -> dict[str, str]:
    """Each person's own language (empty: none chosen), by lower-cased e-mail address."""
    return {
        email.lower(): language
        for email, language in people.values_list("user__email", "user__language")
    }


def purchase_recipients(purchase: PackagePurchase) -> list[PurchaseRecipient]:
    """Who hears about the purchase, in which language, each address once."""
    customer, tenant = purchase.customer, purchase.tenant
    contact_languages = _languages(Contact.objects.filter(customer=customer, is_active=True))
    staff_languages = _languages(StaffMembership.objects.filter(tenant=tenant, is_active=True))
    buyer = purchase.buyer
    if buyer is not None and buyer.email.lower() in contact_languages:
        customer_side = [buyer.email]
    else:
        customer_side = customer_invoice_recipients(customer)
    recipients: list[PurchaseRecipient] = []
    seen: set[str] = set()

    def add(address: str, language: str, is_customer: bool) -> None:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            recipients.append(PurchaseRecipient(address, language, is_customer))

    fallback = customer.language or tenant.locale
    for address in customer_side:
        add(address, contact_languages.get(address.lower()) or fallback, True)
    for address in tenant.notification_emails:
        add(address, staff_languages.get(address.lower()) or tenant.locale, False)
    return recipients


def purchase_context(purchase: PackagePurchase, invoice: Invoice) -> dict:
    days = (
        (purchase.valid_until - purchase.valid_from).days + 1
        if purchase.valid_from and purchase.valid_until
        else None
    )
    return {
        "purchase": purchase,
        "package": purchase.package,  # named in each reader's language
        "days": days,
        "invoice": invoice,
        "customer": purchase.customer,
        "buyer": purchase.buyer.email if purchase.buyer else "",
    }


def send_package_purchase(order_id: int, invoice_id: int) -> int:
    """E-mail everyone who hears about a package purchase (purchase_recipients), each address
    once (send_each_once): a retry after one recipient failed mails only those still missing.
    The order's `notified_at`, set under its row lock once all went out, makes a later run send
    nothing. A failure is raised after the marks of the others are committed, so the task is
    retried. Returns how many messages went out."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None or order.notified_at is not None:
            return 0
        purchase = (
            PackagePurchase.objects.select_related("package", "buyer", "customer", "tenant")
            .filter(order=order)
            .first()
        )
        invoice = Invoice.objects.filter(pk=invoice_id, customer_id=order.customer_id).first()
        if purchase is None or invoice is None:
            return 0
        tenant, customer = purchase.tenant, purchase.customer
        context = purchase_context(purchase, invoice)
        back_office = link_base(tenant) + reverse("admin:billing_invoice_change", args=[invoice.pk])

        def sender(recipient: PurchaseRecipient) -> Callable[[list[str]], None]:
            if recipient.is_customer:
                # Its own message: to one contact, the link also signs them in.
                link = (
                    link_base(tenant)
                    + invoice_link_path(invoice)
                    + document_link_query(customer=customer, recipients=[recipient.address])
                )
            else:
                link = back_office

            def send(to: list[str]) -> None:
                send_templated(
                    prefix="emails/package_purchase_"
                    + ("customer" if recipient.is_customer else "business"),
                    to=to,
                    context={**context, "link": link},
                    language=recipient.language,
                    tenant=tenant,
                )

            return send

        report = send_each_once(
            f"package_purchase:{order.pk}",
            [([r.address], sender(r)) for r in purchase_recipients(purchase)],
        )
        if not report.failures:
            order.notified_at = timezone.now()
            order.save(update_fields=["notified_at"])
    report.raise_failure()
    return report.sent
