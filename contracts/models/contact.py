from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models.customer import Customer
from core.models import Tenant
from core.roles import ContactRole


class Contact(models.Model):
    """A person who may act for a customer in the portal, with a role."""

    # Denormalized from customer so that every tenant-owned row can be scoped the same way.
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("business")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="contacts",
        verbose_name=_("user"),
    )
    role = models.CharField(
        _("role"), max_length=16, choices=ContactRole.choices, default=ContactRole.MEMBER
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "user"], name="contact_unique_per_customer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.customer.name}"
