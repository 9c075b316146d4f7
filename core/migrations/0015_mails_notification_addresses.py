"""The business's notification addresses become one general address and a list of CC
addresses: an existing list moves over, its first address general, the rest CC."""

import core.validators
from django.db import migrations, models


def split_addresses(addresses) -> tuple[str, list[str]]:
    """(general, CC) from the old list: first is general, the rest CC, each once whatever its
    case; anything that is not a non-empty string is dropped."""
    cleaned: list[str] = []
    seen: set[str] = set()
    for address in addresses if isinstance(addresses, list) else []:
        if isinstance(address, str) and address.strip():
            address = address.strip()
            if address.lower() not in seen:
                seen.add(address.lower())
                cleaned.append(address)
    return (cleaned[0], cleaned[1:]) if cleaned else ("", [])


def forwards(apps, schema_editor) -> None:
    Tenant = apps.get_model("core", "Tenant")
    for tenant in Tenant.objects.exclude(notification_emails=[]).only("pk", "notification_emails"):
        general, cc = split_addresses(tenant.notification_emails)
        Tenant.objects.filter(pk=tenant.pk).update(
            notification_email=general, notification_cc_emails=cc
        )


def backwards(apps, schema_editor) -> None:
    Tenant = apps.get_model("core", "Tenant")
    for tenant in Tenant.objects.only("pk", "notification_email", "notification_cc_emails"):
        general = [tenant.notification_email] if tenant.notification_email else []
        Tenant.objects.filter(pk=tenant.pk).update(
            notification_emails=general + list(tenant.notification_cc_emails)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0014_licence_modules"),
    ]

    operations = [
        migrations.AddField(
            model_name="tenant",
            name="notification_email",
            field=models.EmailField(
                blank=True,
                help_text="Where the business is told about purchases and cancellations.",
                max_length=254,
                verbose_name="general notification address",
            ),
        ),
        migrations.AddField(
            model_name="tenant",
            name="notification_cc_emails",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Also told about purchases and cancellations, each in a message of its own.",
                validators=[core.validators.validate_email_list],
                verbose_name="CC addresses",
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="tenant", name="notification_emails"),
    ]
