"""The frozen-line trigger looks its invoice up by the primary key, once per line written, and
PL/pgSQL keeps the plan it makes until something invalidates it (an ANALYZE of the table). A
connection that planned while the invoice table was still small (a new installation's first
billing run) planned a sequential scan, and kept it while the run grew the table: the run
writes each batch's lines before their invoices, so every line read every invoice, until the
next ANALYZE. The function now plans its lookups without sequential scans: the primary key's
index, whatever the table's size and statistics. Measured with bench/billing_run.py's seed
(100,000 subscriptions), its naive sample cut to 10 invoices and ANALYZE every 15 s: 39 s ->
33 s, and 18,021 sequential scans of billing_invoice -> 39. With the bench's defaults (2,000
invoices first) the run was already on the index, and is unchanged.

A later CREATE OR REPLACE FUNCTION billing_invoiceline_frozen() resets what it does not state:
it must say `SET enable_seqscan = off` again."""

from django.db import migrations

FORWARD = "ALTER FUNCTION billing_invoiceline_frozen() SET enable_seqscan = off"
BACKWARD = "ALTER FUNCTION billing_invoiceline_frozen() RESET enable_seqscan"


def forward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("billing", "0034_portal_list_seek_indexes")]
    operations = [migrations.RunPython(forward, backward)]
