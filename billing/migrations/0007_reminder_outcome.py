# Reminders record what became of each step (sent, passed over, no recipient), not just a flag.

from django.db import migrations, models


def outcome_from_flag(apps, schema_editor):
    apps.get_model("billing", "InvoiceReminder").objects.filter(sent=False).update(
        outcome="passed_over"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0006_invoice_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoicereminder",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("sent", "Sent"),
                    ("passed_over", "Passed over"),
                    ("no_recipient", "No recipient"),
                ],
                default="sent",
                max_length=16,
                verbose_name="outcome",
            ),
        ),
        migrations.RunPython(outcome_from_flag, migrations.RunPython.noop),
        migrations.RemoveField(model_name="invoicereminder", name="sent"),
    ]
