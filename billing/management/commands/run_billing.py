import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.run.services import billing_run, due_subscriptions
from core.models import Tenant
from subscriptions.periods import local_today


class Command(BaseCommand):
    help = "Invoice every due subscription period (safe to run again, and alongside another run)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--date",
            help="the billing day, YYYY-MM-DD (default: each business's today, in its time zone)",
        )
        parser.add_argument("--tenant", help="only this business (its address name)")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(
        self,
        *args,
        date: str | None = None,
        tenant: str | None = None,
        batch_size: int = 500,
        **options,
    ) -> None:
        try:
            day = _parse(date) if date else None
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD: {exc}") from exc
        only = None
        if tenant:
            only = Tenant.objects.filter(slug=tenant).first()
            if only is None:
                raise CommandError(f"no business with the address name {tenant!r}")
        tenants = [only] if only else list(Tenant.objects.filter(is_active=True))
        now = timezone.now()
        days = {t.pk: day or local_today(now, t.timezone) for t in tenants}
        total = sum(due_subscriptions(t, days[t.pk]).count() for t in tenants)
        done = 0

        def progress(step: int) -> None:
            nonlocal done
            done += step
            width = 40
            filled = int(width * done / total) if total else width
            sys.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            sys.stdout.flush()

        invoices = skipped = 0
        for current in tenants:
            stats = billing_run(
                today=days[current.pk], tenant=current, batch_size=batch_size, progress=progress
            )
            invoices, skipped = invoices + stats.invoices, skipped + stats.skipped
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"{invoices} invoices issued, {skipped} periods already invoiced.")
        )


def _parse(value: str) -> date:
    return date.fromisoformat(value)
