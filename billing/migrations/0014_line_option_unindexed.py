"""Invoice lines are never searched by add-on: drop the foreign key's index, which only slowed
every billing run's inserts. The index alone goes (on SQLite, altering the field would rebuild
the table and lose its triggers)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("billing", "0013_credit_note_lines_sealed"), ("subscriptions", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="invoiceline",
                    name="option",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="subscriptions.option",
                    ),
                )
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS billing_invoiceline_option_id_b0d62855",
                    "CREATE INDEX billing_invoiceline_option_id_b0d62855 "
                    "ON billing_invoiceline (option_id)",
                )
            ],
        )
    ]
