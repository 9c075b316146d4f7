from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Tenant
from core.validators import validate_currency


class ExchangeRate(models.Model):
    """How much of a currency one unit of the business's own currency buys on a day, as the
    European Central Bank quotes its reference rates (1 EUR = 1.0512 USD). An invoice in another
    currency states its VAT in the business's currency too (VAT Directive art. 230), converted at
    the latest rate on or before its issue date (art. 91(2))."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("business")
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    day = models.DateField(_("date"))
    rate = models.DecimalField(
        _("rate"),
        max_digits=18,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text=_("Units of this currency for one unit of your own, e.g. 1.0512 for USD."),
    )

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-day"]
        constraints = [
            # One rate per currency and day: "the rate of that day" must have one answer.
            models.UniqueConstraint(
                fields=["tenant", "currency", "day"], name="exchange_rate_once_per_day"
            ),
            # A rate of zero or below would divide by zero or turn VAT negative.
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} ({self.day})"

    def clean(self) -> None:
        self.currency = self.currency.strip().upper()
        if self.tenant_id is not None and self.currency == self.tenant.default_currency:
            raise ValidationError(
                {"currency": _("Enter rates for other currencies than your own.")},
                code="own_currency",
            )
