"""Credit note lines: their business is frozen too, and (PostgreSQL) no line can be added to a
credit note once issued — a deferred check at commit that its lines still add up to it.

SQLITE / SQLITE_DROP here are the complete current set of SQLite triggers on the billing tables
(see 0010)."""

import importlib

from django.db import migrations

before = importlib.import_module("billing.migrations.0010_documents_frozen_further")

LINE_FROZEN = [*before.CREDIT_NOTE_LINE_FROZEN, "tenant_id"]



def line_function(columns: list[str]) -> str:
    return f"""
CREATE OR REPLACE FUNCTION billing_creditnoteline_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' OR {before.changed(columns, before.PG_DISTINCT)} THEN
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
      MESSAGE = 'the lines of an issued credit note cannot change';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
"""


POSTGRES = line_function(LINE_FROZEN) + """
CREATE OR REPLACE FUNCTION billing_creditnote_balanced() RETURNS trigger AS $$
DECLARE note_gross numeric; lines_gross numeric;
BEGIN
  SELECT gross_amount INTO note_gross FROM billing_creditnote WHERE id = NEW.credit_note_id;
  SELECT COALESCE(SUM(gross_amount), 0) INTO lines_gross
    FROM billing_creditnoteline WHERE credit_note_id = NEW.credit_note_id;
  IF note_gross IS DISTINCT FROM lines_gross THEN
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
      MESSAGE = 'the lines of an issued credit note cannot change (they must add up to it)';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER billing_creditnote_balanced AFTER INSERT ON billing_creditnoteline
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION billing_creditnote_balanced();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS billing_creditnote_balanced ON billing_creditnoteline;
DROP FUNCTION IF EXISTS billing_creditnote_balanced();
"""

_LINE = f"""CREATE TRIGGER billing_creditnoteline_frozen BEFORE UPDATE ON billing_creditnoteline
    WHEN {before.changed(LINE_FROZEN, before.SQLITE_DISTINCT)}
    BEGIN SELECT RAISE(ABORT, 'the lines of an issued credit note cannot change'); END"""
SQLITE = [_LINE if "billing_creditnoteline_frozen " in sql else sql for sql in before.SQLITE]
SQLITE_DROP = before.SQLITE_DROP


def install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES)
    elif vendor == "sqlite":
        for sql in [*SQLITE_DROP, *SQLITE]:
            schema_editor.execute(sql)


def remove(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE)
        schema_editor.execute(line_function(before.CREDIT_NOTE_LINE_FROZEN))
    elif vendor == "sqlite":
        for sql in [*SQLITE_DROP, *before.SQLITE]:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("billing", "0012_payment_gateways")]
    operations = [migrations.RunPython(install, remove)]
