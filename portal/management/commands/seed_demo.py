import os
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from billing.models import PaymentLink
from contracts.models import Contact
from contracts.portal_links import contact_may_use_portal_link, portal_link_copy
from core.models import Tenant
from core.roles import SYSTEM
from portal.demo import DEMO_PASSWORD, demo_logins, seed_demo


class Command(BaseCommand):
    help = "Create (or complete) the demo tenants, staff and customers; prints the logins."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only seed when the database has no tenant yet (used by `make run`).",
        )

    def handle(self, *args, if_empty: bool = False, **options) -> None:
        if if_empty and Tenant.objects.exists():
            self.stdout.write("Database already has data; demo not re-seeded.")
        else:
            created = seed_demo()
            made = f"{created['tenants']} tenants and {created['customers']} customers"
            self.stdout.write(self.style.SUCCESS(f"Demo ready ({made} created this time)."))
        port = self._port()
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        last_slug = None
        for slug, email, what in demo_logins():
            if slug != last_slug:
                self.stdout.write(
                    f"  http://{slug}.{settings.KONTOR_BASE_DOMAIN}{port}/  (back office: /manage/)"
                )
                last_slug = slug
            self.stdout.write(f"    {email:<24} {what}")
        self._portal_link(port)
        self._payment_link(port)

    def _portal_link(self, port: str) -> None:
        """A fresh single-use portal link of the first demo customer, to try one (audited like
        a link staff copy in the back office)."""
        contact = (
            Contact.objects.filter(
                user__email="customer1@acme.test", customer__tenant__slug="acme", is_active=True
            )
            .select_related("customer__tenant", "user")
            .first()
        )
        if contact is None or not contact_may_use_portal_link(contact):
            return
        path = urlsplit(portal_link_copy(contact=contact, actor=SYSTEM)).path
        host = f"{contact.customer.tenant.slug}.{settings.KONTOR_BASE_DOMAIN}{port}"
        self.stdout.write("")
        self.stdout.write(f"Customer portal link of {contact.user.email} (works once):")
        self.stdout.write(f"  http://{host}{path}")

    def _payment_link(self, port: str) -> None:
        """A demo payment link: a stranger signs up there and goes on to the checkout."""
        link = (
            PaymentLink.objects.filter(tenant__slug="acme", is_active=True)
            .select_related("tenant")
            .order_by("created_at", "id")
            .first()
        )
        if link is None:
            return
        host = f"{link.tenant.slug}.{settings.KONTOR_BASE_DOMAIN}{port}"
        self.stdout.write("")
        self.stdout.write(f'Payment link "{link.name}" (sign up as a new customer there):')
        self.stdout.write(f"  http://{host}{reverse('payment_link', args=[link.slug])}")

    @staticmethod
    def _port() -> str:
        port = os.environ.get("PORT", "8000")
        return "" if port in ("80", "443") else f":{port}"
