"""Below the ORM: a finalized invoice's number, dates, parties, amounts and lines cannot change,
and it cannot be deleted — whatever code (or person with a SQL prompt) tries. Only its status
and payment progress move. PostgreSQL and SQLite each get their own triggers.

A later migration that alters billing_invoice or billing_invoiceline on SQLite (which rebuilds
the table) must drop these triggers first and create them again after: use `remove` and
`install` from here."""

from django.db import migrations

FROZEN = ["number", "currency", "issue_date", "due_date", "seller", "buyer", "vat_regime",
          "net_amount", "tax_amount", "gross_amount", "customer_id", "tenant_id", "is_test",
          "subscription_id", "period_start", "finalized_at"]

POSTGRES = f"""
CREATE OR REPLACE FUNCTION billing_invoice_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
        MESSAGE = 'invoice ' || OLD.number || ' is finalized and cannot be deleted';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status <> 'draft' AND ({" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN)}) THEN
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
      MESSAGE = 'invoice ' || OLD.number || ' is finalized and cannot change';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoice_frozen BEFORE UPDATE OR DELETE ON billing_invoice
  FOR EACH ROW EXECUTE FUNCTION billing_invoice_frozen();

CREATE OR REPLACE FUNCTION billing_invoiceline_frozen() RETURNS trigger AS $$
DECLARE invoice_status text;
BEGIN
  SELECT status INTO invoice_status FROM billing_invoice
    WHERE id = COALESCE(NEW.invoice_id, OLD.invoice_id);
  IF invoice_status IS NOT NULL AND invoice_status <> 'draft' THEN
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
      MESSAGE = 'the lines of a finalized invoice cannot change';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoiceline_frozen BEFORE INSERT OR UPDATE OR DELETE
  ON billing_invoiceline FOR EACH ROW EXECUTE FUNCTION billing_invoiceline_frozen();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS billing_invoice_frozen ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_frozen();
DROP TRIGGER IF EXISTS billing_invoiceline_frozen ON billing_invoiceline;
DROP FUNCTION IF EXISTS billing_invoiceline_frozen();
"""

SQLITE = [
    f"""CREATE TRIGGER billing_invoice_frozen BEFORE UPDATE ON billing_invoice
        WHEN OLD.status <> 'draft' AND ({" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)})
        BEGIN SELECT RAISE(ABORT, 'invoice is finalized and cannot change'); END""",
    """CREATE TRIGGER billing_invoice_undeletable BEFORE DELETE ON billing_invoice
        WHEN OLD.status <> 'draft'
        BEGIN SELECT RAISE(ABORT, 'invoice is finalized and cannot be deleted'); END""",
    """CREATE TRIGGER billing_invoiceline_frozen_insert BEFORE INSERT ON billing_invoiceline
        WHEN (SELECT status FROM billing_invoice WHERE id = NEW.invoice_id) <> 'draft'
        BEGIN SELECT RAISE(ABORT, 'the lines of a finalized invoice cannot change'); END""",
    """CREATE TRIGGER billing_invoiceline_frozen_update BEFORE UPDATE ON billing_invoiceline
        WHEN (SELECT status FROM billing_invoice WHERE id = OLD.invoice_id) <> 'draft'
        BEGIN SELECT RAISE(ABORT, 'the lines of a finalized invoice cannot change'); END""",
    """CREATE TRIGGER billing_invoiceline_frozen_delete BEFORE DELETE ON billing_invoiceline
        WHEN (SELECT status FROM billing_invoice WHERE id = OLD.invoice_id) <> 'draft'
        BEGIN SELECT RAISE(ABORT, 'the lines of a finalized invoice cannot change'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS billing_invoice_frozen",
    "DROP TRIGGER IF EXISTS billing_invoice_undeletable",
    "DROP TRIGGER IF EXISTS billing_invoiceline_frozen_insert",
    "DROP TRIGGER IF EXISTS billing_invoiceline_frozen_update",
    "DROP TRIGGER IF EXISTS billing_invoiceline_frozen_delete",
]


def install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    statements = [POSTGRES] if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []
    for sql in statements:
        schema_editor.execute(sql)


def remove(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    statements = [POSTGRES_DROP] if vendor == "postgresql" else SQLITE_DROP
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
