"""E-mails about subscriptions: confirmations to the customer and the business."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from contracts.models import Contact, Customer
from core.emails import send_templated
from core.roles import ContactRole
from subscriptions.models import SubscriptionEvent, Tariff


def customer_recipients(customer: Customer) -> list[str]:
    """Who hears about the customer's purchases: its invoice recipients, else its owners."""
    return list(customer.invoice_recipients) or list(
        Contact.objects.filter(customer=customer, role=ContactRole.OWNER, is_active=True)
        .order_by("pk")
        .values_list("user__email", flat=True)
    )


# The events a customer and the business hear about; each has its wording in the
# subscription_confirmation_* templates. Other events (the daily job, suspension) confirm nothing.
CONFIRMED_EVENTS = frozenset(
    {
        "order",
        "change_scheduled",
        "tariff_changed",
        "change_withdrawn",
        "cancelled",
        "cancellation_requested",
        "cancellation_approved",
        "cancellation_refused",
        "cancellation_withdrawn",
        "cancel_undone",
    }
)
_DATES = ("ends_on", "change_on", "on", "start_on")


def _event_context(event: SubscriptionEvent) -> dict:
    data = dict(event.data)
    for key in _DATES:
        if isinstance(data.get(key), str):
            data[key] = date.fromisoformat(data[key])
    if event.kind == "order":
        tariff = Tariff.objects.select_related("module").filter(pk=data.get("tariff")).first()
        # The Tariff itself: rendered in each reader's language (its __str__ is localized).
        data["tariff"] = tariff or event.subscription.tariff
    return data


def by_language(customer, addresses: list[str]) -> dict[str, list[str]]:
    """The addresses grouped by the language each reader gets: a contact's own language,
    else the customer's document language, else the business's."""
    fallback = customer.language or customer.tenant.locale
    own = {
        email.lower(): language
        for email, language in Contact.objects.filter(
            customer=customer, user__email__in=addresses
        ).values_list("user__email", "user__language")
        if language
    }
    groups: dict[str, list[str]] = {}
    for address in addresses:
        groups.setdefault(own.get(address.lower(), fallback), []).append(address)
    return groups


def send_subscription_confirmation(event_id: int) -> int:
    """E-mail the customer (invoice recipients, else its owners, each in their language) and
    the business's notification addresses (in the business's locale) about one subscription
    event. Returns how many messages went out; 0 when already done or nothing to confirm."""
    with transaction.atomic():
        event = (
            SubscriptionEvent.objects.select_for_update(of=("self",))
            .select_related("tenant", "subscription__customer", "subscription__tariff__module")
            .filter(pk=event_id)
            .first()
        )
        # Gone (its business deleted since it was queued): nothing to confirm, nothing to retry.
        if event is None or event.notified_at is not None or event.kind not in CONFIRMED_EVENTS:
            return 0
        subscription, tenant = event.subscription, event.tenant
        customer = subscription.customer
        recipients = customer_recipients(customer)
        business = list(tenant.notification_emails)
        context = {
            "event": event,
            "kind": event.kind,
            "data": _event_context(event),
            "subscription": subscription,
            "module": subscription.tariff.module,  # named in each reader's language
            "customer": customer,
        }
        groups = by_language(customer, recipients)
        for language, addresses in groups.items():
            send_templated(
                prefix="emails/subscription_confirmation_customer",
                to=addresses,
                context=context,
                language=language,
                tenant=tenant,
            )
        send_templated(
            prefix="emails/subscription_confirmation_business",
            to=business,
            context=context,
            language=tenant.locale,
            tenant=tenant,
        )
        event.notified_at = timezone.now()
        event.save(update_fields=["notified_at"])
    return len(groups) + int(bool(business))
