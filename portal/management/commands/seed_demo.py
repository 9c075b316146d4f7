import json
import os
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from billing.models import PaymentLink
from contracts.models import Contact, Customer
from contracts.portal_links import contact_may_use_portal_link, portal_link_copy
from core.models import ApiKey, Tenant
from core.roles import SYSTEM
from portal.demo import DEMO_API_KEY, DEMO_PASSWORD, DEMO_TENANTS, demo_logins, seed_demo
from portal.demo_nestpay import DEMO_NESTPAY_SIMULATOR_URL
from subscriptions.models import Department
from subscriptions.usage import usage_check


class Command(BaseCommand):
    help = "Create (or complete) the demo tenants, staff and customers; prints the logins."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only seed when the database has no tenant yet (used by `make run`).",
        )
        parser.add_argument(
            "--nestpay-simulator",
            default=DEMO_NESTPAY_SIMULATOR_URL,
            metavar="URL",
            help="The NestPay simulator globex pays through; blank: none, globex takes bank "
            "transfers (default %(default)s).",
        )

    def handle(
        self,
        *args,
        if_empty: bool = False,
        nestpay_simulator: str = DEMO_NESTPAY_SIMULATOR_URL,
        **options,
    ) -> None:
        if if_empty and Tenant.objects.exists():
            self.stdout.write("Database already has data; demo not re-seeded.")
        else:
            created = seed_demo(nestpay_simulator=nestpay_simulator)
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
        self._api_curl(port)
        self._demo_pages(port)

    def _demo_pages(self, port: str) -> None:
        """Where to start: the demo's home page and its outbox, on the bare host."""
        if not settings.KONTOR_DEMO_OUTBOX:
            return
        base = f"http://{settings.KONTOR_BASE_DOMAIN}{port}"
        self.stdout.write("")
        self.stdout.write(f"Start here, every link and login of the demo: {base}/")
        self.stdout.write(f"E-mails sent (invoices, receipts, sign-in codes): {base}/outbox/")

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

    def _api_curl(self, port: str) -> None:
        """A ready curl command reporting a ticket for acme's first demo customer, in a
        department where it costs credits if there is one (run twice: 200, charged once)."""
        key = ApiKey.objects.active().filter(tenant__slug="acme", prefix="demoacme").first()
        number = DEMO_TENANTS[0].customers[0][1]
        customer = Customer.objects.filter(tenant__slug="acme", number=number).first()
        if key is None or customer is None:
            return
        today = timezone.localdate()
        departments = list(Department.objects.filter(tenant=customer.tenant).order_by("id"))
        verdicts = [
            (usage_check(customer=customer, department=d, kind="ticket", today=today), d)
            for d in departments
        ]
        charged = [d for v, d in verdicts if v.allowed and v.credits]
        allowed = [d for v, d in verdicts if v.allowed]
        department = (charged or allowed or departments or [None])[0]
        if department is None:
            return
        body = {
            "customer_number": number,
            "department": department.pk,
            "kind": "ticket",
            "external_id": "TICKET-1001",
            "occurred_at": timezone.now().replace(microsecond=0).isoformat(),
        }
        base = f"http://acme.{settings.KONTOR_BASE_DOMAIN}{port}/api/v1"
        self.stdout.write("")
        self.stdout.write(f"Helpdesk API of acme (docs: {base}/docs/, key: {DEMO_API_KEY}).")
        self.stdout.write(
            f"Report a ticket in {department.name} (sent again: 200, the same, charged once):"
        )
        self.stdout.write(
            f"  curl -sS -X POST {base}/usage/ -H 'Authorization: Bearer {DEMO_API_KEY}' "
            f"-H 'Content-Type: application/json' -d '{json.dumps(body)}'"
        )

    @staticmethod
    def _port() -> str:
        port = os.environ.get("PORT", "8000")
        return "" if port in ("80", "443") else f":{port}"
