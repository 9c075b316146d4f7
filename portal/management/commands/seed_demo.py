import os

from django.conf import settings
from django.core.management.base import BaseCommand

from core.models import Tenant
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

    @staticmethod
    def _port() -> str:
        port = os.environ.get("PORT", "8000")
        return "" if port in ("80", "443") else f":{port}"
