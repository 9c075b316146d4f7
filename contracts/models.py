import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Tenant
from core.roles import ContactRole


def new_link_secret() -> str:
    return secrets.token_urlsafe(24)


class Customer(models.Model):
    """A tenant's customer account: the party that is invoiced."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="customers", verbose_name=_("business")
    )
    name = models.CharField(_("name"), max_length=200)
    # Free text, often the number in the tenant's accounting system.
    number = models.CharField(_("customer number"), max_length=64, blank=True)
    language = models.CharField(
        _("document language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Invoices and e-mails use this language; empty means the business's."),
    )
    # Salt of every signed link sent to this customer; rotating it revokes them all.
    link_secret = models.CharField(max_length=64, default=new_link_secret, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        constraints = [
            # Customer numbers identify an account in the tenant's accounting: never twice.
            models.UniqueConstraint(
                fields=["tenant", "number"],
                condition=~models.Q(number=""),
                name="customer_number_unique_per_tenant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})" if self.number else self.name


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
