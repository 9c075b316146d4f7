"""Discount codes a business hands out: a percentage or a fixed amount off a subscription's
invoices, for its first N periods or for as long as it runs."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Tenant
from core.validators import validate_currency
from subscriptions.models.catalogue import Tariff


class DiscountKind(models.TextChoices):
    PERCENT = "percent", _("Percentage")
    FIXED = "fixed", _("Fixed amount per period")


class DiscountCode(models.Model):
    """A code a buyer types at checkout (or a payment link carries).

    What a subscription got is copied onto it when redeemed (`Subscription.discount_*`):
    editing or deactivating a code later changes no running contract, as with tariffs."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("business")
    )
    # Stored upper-case; buyers may type it in any case.
    code = models.CharField(_("code"), max_length=40)
    description = models.CharField(_("description"), max_length=200, blank=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=DiscountKind.choices, default=DiscountKind.PERCENT
    )
    # A percentage (0–100], or an amount in `currency` taken off each discounted period's net.
    value = models.DecimalField(
        _("value"), max_digits=19, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        blank=True,
        validators=[validate_currency],
        help_text=_("For a fixed amount: the currency it is in."),
    )
    # Empty: every period for as long as the subscription runs.
    periods = models.PositiveSmallIntegerField(
        _("for the first periods"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Empty: for as long as the subscription runs."),
    )
    tariffs = models.ManyToManyField(
        Tariff,
        blank=True,
        related_name="+",
        verbose_name=_("only for tariffs"),
        help_text=_("Empty: every tariff."),
    )
    max_uses = models.PositiveIntegerField(
        _("limit on uses"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    # Redemptions so far, counted under the code's row lock (a released one gives its use back).
    uses = models.PositiveIntegerField(_("used"), default=0, editable=False)
    expires_on = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("Empty: does not expire.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("discount code")
        verbose_name_plural = _("discount codes")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="discount_code_unique"),
            models.CheckConstraint(
                condition=models.Q(value__gt=0)
                & (~models.Q(kind="percent") | models.Q(value__lte=100)),
                name="discount_code_value_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="fixed", currency=""),
                name="discount_code_fixed_has_currency",
            ),
        ]

    def __str__(self) -> str:
        return self.code
