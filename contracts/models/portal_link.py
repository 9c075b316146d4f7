from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models.contact import Contact
from contracts.models.customer import Customer
from core.models import Tenant


class PortalLinkUse(models.Model):
    """A portal link that signed someone in: its nonce, recorded once.

    A portal link is single-use. The unique constraint on the nonce is what makes it so: two
    requests racing with the same link both try to insert the row, the database lets one
    commit and refuses the other, and only the one that inserted signs anybody in."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("business")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="+", verbose_name=_("contact")
    )
    nonce = models.CharField(max_length=64)
    used_at = models.DateTimeField(_("used"), auto_now_add=True)

    class Meta:
        verbose_name = _("used portal link")
        verbose_name_plural = _("used portal links")
        constraints = [
            models.UniqueConstraint(fields=["nonce"], name="portal_link_used_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} @ {self.used_at:%Y-%m-%d %H:%M}"
