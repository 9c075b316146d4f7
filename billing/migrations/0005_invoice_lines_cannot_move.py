"""A line may not be moved between invoices when either of them is finalized: the line
triggers now check the invoice a line comes from *and* the one it would go to."""

from django.db import migrations

# Migration 0035 gives this function `SET enable_seqscan = off` (its lookup stays on the index
# however small the table was when planned): a later re-creation must state it again.
POSTGRES = """
CREATE OR REPLACE FUNCTION billing_invoiceline_frozen() RETURNS trigger AS $$
DECLARE old_status text; new_status text;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    SELECT status INTO old_status FROM billing_invoice WHERE id = OLD.invoice_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    SELECT status INTO new_status FROM billing_invoice WHERE id = NEW.invoice_id;
  END IF;
  IF COALESCE(old_status, 'draft') <> 'draft' OR COALESCE(new_status, 'draft') <> 'draft' THEN
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
      MESSAGE = 'the lines of a finalized invoice cannot change';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
"""

SQLITE_DROP = "DROP TRIGGER IF EXISTS billing_invoiceline_frozen_update"
SQLITE = """CREATE TRIGGER billing_invoiceline_frozen_update BEFORE UPDATE ON billing_invoiceline
    WHEN (SELECT status FROM billing_invoice WHERE id = OLD.invoice_id) <> 'draft'
      OR (SELECT status FROM billing_invoice WHERE id = NEW.invoice_id) <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'the lines of a finalized invoice cannot change'); END"""


def install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)
        schema_editor.execute(SQLITE)


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_payments")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
