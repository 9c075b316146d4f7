"""Receipts for the payments recorded before receipts were numbered, and below the ORM: an issued
receipt's number, date, parties and payment cannot change, its stored PDF is set once, and it
cannot be deleted.

Existing payments get their receipts here, per business in order of payment date (then of
recording), each dated on its payment's date and numbered in the business's receipt series as
if it had been issued then; they froze no parties (seller and buyer {}), so their PDF prints the
parties as they are when it is first stored (by the hourly archive, or the first download).

SQLITE / SQLITE_DROP are the SQLite triggers on billing_receipt (tests step them aside to flush)."""

import importlib
from string import Formatter

from django.db import migrations

frozen = importlib.import_module("billing.migrations.0010_documents_frozen_further")

RECEIPT_FROZEN = ["number", "issue_date", "seller", "buyer", "payment_id", "tenant_id"]

POSTGRES = f"""
CREATE OR REPLACE FUNCTION billing_receipt_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' OR {frozen.changed(RECEIPT_FROZEN, frozen.PG_DISTINCT)}
     OR {frozen.pdf_replaced(frozen.PG_DISTINCT)} THEN
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
      MESSAGE = 'receipt ' || OLD.number || ' is issued and cannot change';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_receipt_frozen BEFORE UPDATE OR DELETE ON billing_receipt
  FOR EACH ROW EXECUTE FUNCTION billing_receipt_frozen();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS billing_receipt_frozen ON billing_receipt;
DROP FUNCTION IF EXISTS billing_receipt_frozen();
"""
SQLITE = [
    f"""CREATE TRIGGER billing_receipt_frozen BEFORE UPDATE ON billing_receipt
        WHEN {frozen.changed(RECEIPT_FROZEN, frozen.SQLITE_DISTINCT)}
             OR {frozen.pdf_replaced(frozen.SQLITE_DISTINCT)}
        BEGIN SELECT RAISE(ABORT, 'receipt is issued and cannot change'); END""",
    """CREATE TRIGGER billing_receipt_undeletable BEFORE DELETE ON billing_receipt
        BEGIN SELECT RAISE(ABORT, 'receipt is issued and cannot be deleted'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS billing_receipt_frozen",
    "DROP TRIGGER IF EXISTS billing_receipt_undeletable",
]


def issue_missing_receipts(apps, schema_editor) -> None:
    Tenant = apps.get_model("core", "Tenant")
    Payment = apps.get_model("billing", "Payment")
    Receipt = apps.get_model("billing", "Receipt")
    for tenant in Tenant.objects.all():
        pattern = tenant.receipt_number_format
        fields = {name for _text, name, _spec, _conv in Formatter().parse(pattern) if name}
        yearly = "year" in fields and tenant.number_reset_yearly
        taken: dict[str, int] = {}
        receipts = []
        payments = (
            Payment.objects.filter(tenant=tenant, amount__gt=0, receipt__isnull=True)
            .order_by("received_on", "id")
            .only("id", "received_on")
        )
        for payment in payments:
            day = payment.received_on
            period = str(day.year) if yearly else ""
            taken[period] = taken.get(period, 0) + 1
            receipts.append(
                Receipt(
                    tenant_id=tenant.pk,
                    payment_id=payment.pk,
                    number=pattern.format(year=day.year, number=taken[period]),
                    issue_date=day,
                    seller={},
                    buyer={},
                )
            )
        Receipt.objects.bulk_create(receipts, batch_size=1000)


def install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES)
    elif vendor == "sqlite":
        for sql in SQLITE:
            schema_editor.execute(sql)


def remove(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0028_fixed_receipts"),
        ("core", "0011_fixed_receipts"),
    ]
    operations = [
        migrations.RunPython(issue_missing_receipts, migrations.RunPython.noop),
        migrations.RunPython(install, remove),
    ]
