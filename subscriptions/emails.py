from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from contracts.models import Contact
from core.emails import send_templated
from core.roles import ContactRole
from subscriptions.models import Order


def send_package_purchase(order_id: int) -> int:
    """E-mail the customer (invoice recipients, else its owners) and the business's
    notification addresses. Returns how many messages went out; 0 when already done."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update().select_related("customer", "tenant").get(pk=order_id)
        )
        if order.notified_at is not None:
            return 0
        customer, tenant = order.customer, order.tenant
        recipients = list(customer.invoice_recipients) or list(
            Contact.objects.filter(
                customer=customer, role=ContactRole.OWNER, is_active=True
            ).values_list("user__email", flat=True)
        )
        context = {"order": order, "customer": customer}
        send_templated(
            prefix="emails/package_purchase_customer",
            to=recipients,
            context=context,
            language=customer.language or tenant.locale,
            tenant=tenant,
        )
        send_templated(
            prefix="emails/package_purchase_business",
            to=list(tenant.notification_emails),
            context=context,
            language=tenant.locale,
            tenant=tenant,
        )
        order.notified_at = timezone.now()
        order.save(update_fields=["notified_at"])
    return int(bool(recipients)) + int(bool(tenant.notification_emails))
