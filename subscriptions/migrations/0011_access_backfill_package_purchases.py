"""Backfill one PackagePurchase per package bought before purchases were recorded, from the
PURCHASE entries of the credit ledger.

What the ledger cannot say is told honestly: which purchase the credits used so far came from
is unknown, so a customer's current balance is spread over its credit purchases newest first
(the oldest look used up, as first in, first out would have left them). A purchase followed
by a kind switch (a FORFEIT entry) is forfeited then. Subscription periods are rebuilt as the
purchase service builds them (a renewal starts the day after the running period ends)."""

from datetime import timedelta

from django.db import migrations


def backfill(apps, schema_editor):
    Entry = apps.get_model("subscriptions", "CreditLedgerEntry")
    Purchase = apps.get_model("subscriptions", "PackagePurchase")
    Account = apps.get_model("subscriptions", "CreditAccount")
    done = set(Purchase.objects.order_by().values_list("customer_id", flat=True).distinct())
    customers = (
        Entry.objects.filter(kind="purchase", package__isnull=False)
        .exclude(customer_id__in=done)
        .order_by()  # the ledger's default ordering would make distinct() keep duplicates
        .values_list("customer_id", flat=True)
        .distinct()
    )
    for customer_id in customers:
        entries = list(
            Entry.objects.filter(customer_id=customer_id, kind__in=["purchase", "forfeit"])
            .select_related("package")
            .order_by("created_at", "id")
        )
        account = Account.objects.filter(customer_id=customer_id).first()
        rows, period_end = [], None
        for entry in entries:
            if entry.kind == "forfeit":
                for row in rows:
                    if row["forfeited_at"] is None and (
                        row["kind"] == "credits" or row["valid_until"] >= entry.created_at.date()
                    ):
                        row["forfeited_at"] = entry.created_at
                period_end = None
                continue
            if entry.package is None:
                continue
            package, day = entry.package, entry.created_at.date()
            # The ledger says what was bought then; the package may have been edited since.
            kind = "credits" if entry.delta > 0 else "subscription"
            if kind == "subscription" and not package.duration_days:
                continue  # its period cannot be rebuilt honestly: left out
            row = {
                "tenant_id": entry.tenant_id,
                "customer_id": customer_id,
                "package_id": package.pk,
                "kind": kind,
                "buyer_id": entry.actor_id,
                "bought_at": entry.created_at,
                "forfeited_at": None,
                "credits": None,
                "credits_left": None,
                "valid_from": None,
                "valid_until": None,
            }
            if kind == "credits":
                row["credits"] = row["credits_left"] = entry.delta
                period_end = None
            else:
                start = period_end + timedelta(days=1) if period_end and period_end >= day else day
                period_end = start + timedelta(days=package.duration_days - 1)
                row["valid_from"], row["valid_until"] = start, period_end
            rows.append(row)
        balance = account.balance if account is not None and account.kind == "credits" else 0
        for row in reversed(rows):
            if row["kind"] != "credits":
                continue
            if row["forfeited_at"] is not None:
                row["credits_left"] = 0
                continue
            row["credits_left"] = min(row["credits"], balance)
            balance -= row["credits_left"]
        for row in rows:
            bought_at = row.pop("bought_at")
            purchase = Purchase.objects.create(**row)
            # bought_at is auto_now_add: the purchase's own time is written afterwards.
            Purchase.objects.filter(pk=purchase.pk).update(bought_at=bought_at)


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0010_alerts_credit_account_crossings")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
