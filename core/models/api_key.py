"""API keys: how a business's helpdesk authenticates to the REST API (/api/v1/).

The secret is shown once, when the key is created, and never stored: only its SHA-256. A plain
fast hash is right here (not a password hasher): the secret is 32 random bytes, so there is
nothing to guess, and every API request checks one. The short visible prefix finds the row and
lets people tell their keys apart; the whole secret is compared as a hash, in constant time."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models.tenant import Tenant


class ApiScope(models.TextChoices):
    """What a key may do. A key without the scope an endpoint needs gets 403."""

    USAGE_WRITE = "usage:write", _("Report usage")
    CUSTOMERS_READ = "customers:read", _("Read customers' balance and access")
    DEPARTMENTS_READ = "departments:read", _("Read departments")


class ApiKeyQuerySet(models.QuerySet):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("business")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("Where the key is used."))
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)  # hex SHA-256 of the secret
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or ())

    # DRF reads these on request.user; a key is an authenticated client, never a person.
    is_authenticated = True
