from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models.tenant import Tenant
from core.roles import StaffRole


class StaffMembership(models.Model):
    """A user working in a tenant's back office, with a role."""

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        related_name="staff_memberships",
        verbose_name=_("business"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=16, choices=StaffRole.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["user__email"]
        constraints = [
            # One role per person and tenant: the role matrix reads a single row.
            models.UniqueConstraint(fields=["tenant", "user"], name="staff_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"
