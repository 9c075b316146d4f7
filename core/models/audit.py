from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models.tenant import Tenant


class AuditEntry(models.Model):
    """Who changed what, when, from where, with the values before and after.

    Written by `core.audit.audit_record` from every service; never edited afterwards.
    """

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        related_name="audit_entries",
        verbose_name=_("business"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    # Kept as text too: the actor may be a job ("system: billing run") or a deleted user.
    actor_label = models.CharField(_("actor"), max_length=254)
    # Staff acting as a customer (core.acting): the customer acted for, as id and as text (it
    # may be deleted later). Empty when the actor acted for themselves.
    on_behalf_of_id = models.PositiveBigIntegerField(_("on behalf of (id)"), null=True, blank=True)
    # A database default too: the billing run COPYs its entries without this column.
    on_behalf_of = models.CharField(
        _("on behalf of"), max_length=254, blank=True, default="", db_default=""
    )
    action = models.CharField(_("action"), max_length=100)
    object_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("object type"),
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="audit_tenant_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        if self.on_behalf_of:
            return f"{self.actor_label} ({self.on_behalf_of}): {self.action} {self.object_repr}"
        return f"{self.actor_label}: {self.action} {self.object_repr}"
