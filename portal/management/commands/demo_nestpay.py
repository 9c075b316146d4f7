"""For `make run`: the demo business globex takes cards through the local NestPay simulator that
bin/run starts (billing.payments.nestpay_simulator), with the merchant it prints here."""

from django.core.management.base import BaseCommand, CommandError

from billing.payments.models import Gateway, PaymentSettings
from core.models import Tenant
from portal.demo_nestpay import (
    DEMO_NESTPAY_TENANT,
    seed_nestpay,
    simulator_in_use,
    simulator_merchant,
)


class Command(BaseCommand):
    help = "Point the demo business at the NestPay simulator (or, with --off, away from it)."

    def add_arguments(self, parser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--simulator", metavar="URL", help="e.g. http://127.0.0.1:8430")
        what.add_argument(
            "--off",
            action="store_true",
            help="No simulator: a business still pointing at a local one takes bank transfers.",
        )
        what.add_argument(
            "--print-merchant",
            action="store_true",
            help="Print the simulator's --merchant CLIENTID:STOREKEY:APIUSER:APIPASSWORD.",
        )

    def handle(
        self, *args, simulator: str | None, off: bool, print_merchant: bool, **options
    ) -> None:
        if print_merchant:
            self.stdout.write(simulator_merchant())
            return
        business = Tenant.objects.filter(slug=DEMO_NESTPAY_TENANT).first()
        if business is None:
            raise CommandError(f"no business {DEMO_NESTPAY_TENANT!r}")
        if off:
            config = PaymentSettings.objects.filter(tenant=business).first()
            on_simulator = config is not None and simulator_in_use(config)
            if on_simulator and config.gateway == Gateway.NESTPAY:
                seed_nestpay(business, simulator_url="")
                self.stdout.write(f"{business.slug} takes bank transfers (no NestPay simulator)")
            return
        seed_nestpay(business, simulator_url=simulator or "")
        self.stdout.write(f"{business.slug} takes cards through the NestPay simulator {simulator}")
