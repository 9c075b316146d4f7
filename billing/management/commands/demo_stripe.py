"""For `make run`: the demo business `acme` takes cards through the local fake Stripe
(localstripe) that bin/run starts, with its webhooks pointed back at this server."""

import json
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from billing.payments.models import Gateway, PaymentSettings
from core.models import Tenant

DEMO_KEYS = {
    "stripe_publishable_key": "pk_test_kontor_demo",
    "stripe_secret_key": "sk_test_kontor_demo",
    "stripe_webhook_secret": "whsec_kontor_demo",
}


class Command(BaseCommand):
    help = "Point the demo business at localstripe (needs STRIPE_API_BASE) and its webhooks here."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", default="acme")
        parser.add_argument("--webhook-base", default="http://127.0.0.1:8000")

    def handle(self, *args, tenant: str, webhook_base: str, **options) -> None:
        if not settings.STRIPE_API_BASE:
            raise CommandError("STRIPE_API_BASE is not set: there is no local Stripe to use")
        business = Tenant.objects.filter(slug=tenant).first()
        if business is None:
            raise CommandError(f"no business {tenant!r}")
        PaymentSettings.objects.update_or_create(
            tenant=business, defaults={"gateway": Gateway.STRIPE, **DEMO_KEYS}
        )
        body = json.dumps(
            {
                "url": f"{webhook_base}/stripe/webhook/{tenant}/",
                "secret": DEMO_KEYS["stripe_webhook_secret"],
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 — the local fake's http URL
            f"{settings.STRIPE_API_BASE}/_config/webhooks/{tenant}", data=body, method="POST"
        )
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310
        self.stdout.write(f"{tenant} takes cards through {settings.STRIPE_API_BASE}")
