from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Tenant


class TaxRate(models.Model):
    """A VAT rate the business charges, e.g. 19 % standard, 7 % reduced."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("business")
    )
    name = models.CharField(_("name"), max_length=100)
    rate = models.DecimalField(
        _("rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        ordering = ["-is_default", "rate"]
        constraints = [
            # New lines take the default rate: there must never be two.
            models.UniqueConstraint(
                fields=["tenant"], condition=models.Q(is_default=True), name="tax_rate_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.rate} %)"
