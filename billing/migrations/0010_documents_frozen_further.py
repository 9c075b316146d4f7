"""Below the ORM, further: a stored PDF and its checksum are set once and never replaced, and
credit notes (finalized when issued) can neither change nor be deleted, nor can their lines.

SQLITE / SQLITE_DROP here are the complete current set of SQLite triggers on the billing tables:
use them (not the earlier migrations') to step the triggers aside and bring them back."""

import importlib

from django.db import migrations

first = importlib.import_module("billing.migrations.0002_finalized_invoices_are_immutable")
moves = importlib.import_module("billing.migrations.0005_invoice_lines_cannot_move")

CREDIT_NOTE_FROZEN = ["number", "issue_date", "currency", "reason", "settlement", "seller",
                      "buyer", "net_amount", "tax_amount", "gross_amount", "customer_id",
                      "tenant_id", "invoice_id"]
CREDIT_NOTE_LINE_FROZEN = ["credit_note_id", "invoice_line_id", "description", "quantity",
                           "unit_price", "tax_rate", "net_amount", "tax_amount", "gross_amount"]


def changed(columns: list[str], distinct: str) -> str:
    return " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in columns)


def pdf_replaced(distinct: str) -> str:
    """The PDF may go from none to one, never from one to another."""
    return (f"(OLD.pdf <> '' AND NEW.pdf {distinct} OLD.pdf) OR "
            f"(OLD.pdf_sha256 <> '' AND NEW.pdf_sha256 {distinct} OLD.pdf_sha256)")


PG_DISTINCT, SQLITE_DISTINCT = "IS DISTINCT FROM", "IS NOT"

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
  IF OLD.status <> 'draft' AND ({changed(first.FROZEN, PG_DISTINCT)}
                               OR {pdf_replaced(PG_DISTINCT)}) THEN
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
      MESSAGE = 'invoice ' || OLD.number || ' is finalized and cannot change';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_creditnote_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' OR {changed(CREDIT_NOTE_FROZEN, PG_DISTINCT)}
     OR {pdf_replaced(PG_DISTINCT)} THEN
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
      MESSAGE = 'credit note ' || OLD.number || ' is issued and cannot change';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_creditnote_frozen BEFORE UPDATE OR DELETE ON billing_creditnote
  FOR EACH ROW EXECUTE FUNCTION billing_creditnote_frozen();

CREATE OR REPLACE FUNCTION billing_creditnoteline_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' OR {changed(CREDIT_NOTE_LINE_FROZEN, PG_DISTINCT)} THEN
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
      MESSAGE = 'the lines of an issued credit note cannot change';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_creditnoteline_frozen BEFORE UPDATE OR DELETE ON billing_creditnoteline
  FOR EACH ROW EXECUTE FUNCTION billing_creditnoteline_frozen();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS billing_creditnote_frozen ON billing_creditnote;
DROP FUNCTION IF EXISTS billing_creditnote_frozen();
DROP TRIGGER IF EXISTS billing_creditnoteline_frozen ON billing_creditnoteline;
DROP FUNCTION IF EXISTS billing_creditnoteline_frozen();
"""

_INVOICE_FROZEN = f"""CREATE TRIGGER billing_invoice_frozen BEFORE UPDATE ON billing_invoice
    WHEN OLD.status <> 'draft' AND ({changed(first.FROZEN, SQLITE_DISTINCT)}
                                    OR {pdf_replaced(SQLITE_DISTINCT)})
    BEGIN SELECT RAISE(ABORT, 'invoice is finalized and cannot change'); END"""
SQLITE = [
    _INVOICE_FROZEN,
    *[sql for sql in first.SQLITE if "billing_invoice_frozen " not in sql
      and "billing_invoiceline_frozen_update" not in sql],
    moves.SQLITE,
    f"""CREATE TRIGGER billing_creditnote_frozen BEFORE UPDATE ON billing_creditnote
        WHEN {changed(CREDIT_NOTE_FROZEN, SQLITE_DISTINCT)} OR {pdf_replaced(SQLITE_DISTINCT)}
        BEGIN SELECT RAISE(ABORT, 'credit note is issued and cannot change'); END""",
    """CREATE TRIGGER billing_creditnote_undeletable BEFORE DELETE ON billing_creditnote
        BEGIN SELECT RAISE(ABORT, 'credit note is issued and cannot be deleted'); END""",
    f"""CREATE TRIGGER billing_creditnoteline_frozen BEFORE UPDATE ON billing_creditnoteline
        WHEN {changed(CREDIT_NOTE_LINE_FROZEN, SQLITE_DISTINCT)}
        BEGIN SELECT RAISE(ABORT, 'the lines of an issued credit note cannot change'); END""",
    """CREATE TRIGGER billing_creditnoteline_undeletable BEFORE DELETE ON billing_creditnoteline
        BEGIN SELECT RAISE(ABORT, 'the lines of an issued credit note cannot change'); END""",
]
SQLITE_DROP = [
    *first.SQLITE_DROP,
    "DROP TRIGGER IF EXISTS billing_creditnote_frozen",
    "DROP TRIGGER IF EXISTS billing_creditnote_undeletable",
    "DROP TRIGGER IF EXISTS billing_creditnoteline_frozen",
    "DROP TRIGGER IF EXISTS billing_creditnoteline_undeletable",
]


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
        schema_editor.execute(POSTGRES_DROP)
        schema_editor.execute(first.POSTGRES.split("CREATE TRIGGER billing_invoice_frozen")[0])
    elif vendor == "sqlite":
        for sql in [*SQLITE_DROP, *first.SQLITE]:
            schema_editor.execute(sql)
        schema_editor.execute(moves.SQLITE_DROP)
        schema_editor.execute(moves.SQLITE)


class Migration(migrations.Migration):
    dependencies = [("billing", "0009_credit_note_pdf")]
    operations = [migrations.RunPython(install, remove)]
