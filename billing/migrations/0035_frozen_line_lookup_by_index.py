"""The frozen-line trigger looks its invoice up by the primary key, once per line written, and
PL/pgSQL keeps the plan it made on first use for the life of the connection. A connection whose
first line went in while the invoice table was still small (a new installation's first billing
run, a business's first import) planned a sequential scan, and kept it while the run grew the
table: every line then read every invoice, until an ANALYZE happened to invalidate the plan.
At 100,000 subscriptions from an empty table that cost the run a third of its speed
(bench/billing_run.py). The function now plans its lookups without sequential scans: the
primary key's index, whatever the table's size and statistics."""

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
