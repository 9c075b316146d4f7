"""Support packages: prepaid credits consumed per ticket, or unlimited use for a period.

A customer holds one kind at a time. The balance is a ledger (`CreditLedgerEntry`, never a bare
counter); `CreditAccount` caches its sum and is the row locked when credits are used, so that
concurrent use can never take it below zero."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from core.models import Tenant
from core.models.translated import TranslatedTexts
from core.validators import validate_currency
from subscriptions.models.departments import Department, RequestKind


class PackageKind(models.TextChoices):
    CREDITS = "credits", _("Credit package")
    SUBSCRIPTION = "subscription", _("Subscription package")


class Package(TranslatedTexts):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("business")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=PackageKind.choices)
    credits = models.PositiveIntegerField(
        _("credits"), null=True, blank=True, help_text=_("Credit packages: how many credits.")
    )
    duration_days = models.PositiveIntegerField(
        _("valid for (days)"),
        null=True,
        blank=True,
        help_text=_("Subscription packages: how long unlimited use lasts."),
    )
    price = models.DecimalField(
        _("price"), max_digits=19, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    currency = models.CharField(
        _("currency"), max_length=3, default="EUR", validators=[validate_currency]
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="packages",
        verbose_name=_("departments"),
        help_text=_("Buying the package switches these departments on for the customer."),
    )

    class Meta:
        verbose_name = _("package")
        verbose_name_plural = _("packages")
        ordering = ["kind", "price"]
        constraints = [
            # A credit package says how many credits; a subscription package for how long.
            models.CheckConstraint(
                condition=models.Q(kind="credits", credits__gt=0, duration_days__isnull=True)
                | models.Q(kind="subscription", duration_days__gt=0, credits__isnull=True),
                name="package_kind_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.localized_name


# The balance and each ledger entry's delta are IntegerFields: PostgreSQL's integer holds this.
CREDITS_MAX = 2**31 - 1


class CreditAccount(models.Model):
    """A customer's current package state: which kind, the credit balance, the validity."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        related_name="credit_account",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=PackageKind.choices, blank=True)
    balance = models.IntegerField(_("credit balance"), default=0)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    package = models.ForeignKey(
        Package,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("package"),
    )
    # Low-balance alerts (subscriptions/alerts.py), decided under this row's lock: a crossing is
    # the balance falling from at or above the business's threshold to below it. Each one is
    # numbered; the e-mail and the automatic top-up record the number they were done for, so a
    # retried task or a second crossing racing the first never does either twice.
    low_balance_crossings = models.PositiveIntegerField(_("times below the threshold"), default=0)
    low_balance_alerted = models.PositiveIntegerField(_("last crossing e-mailed"), default=0)
    auto_topup_package = models.ForeignKey(
        Package,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("automatic top-up"),
        help_text=_("Bought again with the saved default card when the balance runs low."),
    )
    auto_topup_crossing = models.PositiveIntegerField(_("last crossing topped up"), default=0)
    auto_topup_order = models.ForeignKey(
        "subscriptions.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last automatic top-up"),
    )

    class Meta:
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")
        constraints = [
            # The last line of defence against overdrawing under concurrency.
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="credit_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer}: {self.balance}"


class LedgerKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    USE = "use", _("Used")
    FORFEIT = "forfeit", _("Forfeited")
    ADJUSTMENT = "adjustment", _("Adjustment")


class CreditLedgerEntry(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="credit_entries",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=LedgerKind.choices)
    delta = models.IntegerField(_("credits"))
    balance_after = models.IntegerField(_("balance"))
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    package = models.ForeignKey(
        Package,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("package"),
    )
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("credit ledger entry")
        verbose_name_plural = _("credit ledger")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.delta:+d}"

    @property
    def reference_text(self) -> str:
        """The reference in the reader's language: usage stores the request kind's value
        ("ticket T-1", language-independent), shown here by its label."""
        kind, _sep, rest = self.reference.partition(" ")
        if self.kind == LedgerKind.USE and rest and kind in RequestKind.values:
            return f"{RequestKind(kind).label} {rest}"
        return self.reference
