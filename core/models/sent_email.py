"""One e-mail address mailed for one event (a *key* such as "package_purchase:<order id>"):
what lets a task that sends several messages, retried after some went out, mail only the
addresses it has not mailed yet (core/emails.py send_each_once)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SentEmail(models.Model):
    key = models.CharField(max_length=200)
    address = models.CharField(max_length=254)  # lower-cased: one address, however spelled
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "address"], name="sent_email_key_address")
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.address}"
