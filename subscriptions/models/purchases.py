"""One row per package bought: what it gave, what is left of it, and what became of it."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from core.models import Tenant
from subscriptions.models.credits import Package, PackageKind
from subscriptions.models.order import Order


class PurchaseState(models.TextChoices):
    ACTIVE = "active", _("Active")
    USED_UP = "used_up", _("Used up")
    EXPIRED = "expired", _("Expired")
    UPCOMING = "upcoming", _("Upcoming")
    FORFEITED = "forfeited", _("Forfeited")


class PackagePurchaseQuerySet(models.QuerySet):
    def with_state(self, today: date) -> PackagePurchaseQuerySet:
        """Annotate `state` (a PurchaseState) as of `today`, the business's calendar day, so
        lists can filter and sort on it in the database; `as_of` carries that day along."""
        return self.annotate(
            as_of=models.Value(today, output_field=models.DateField()),
            state=models.Case(
                models.When(forfeited_at__isnull=False, then=models.Value(PurchaseState.FORFEITED)),
                models.When(
                    kind=PackageKind.CREDITS,
                    credits_left=0,
                    then=models.Value(PurchaseState.USED_UP),
                ),
                models.When(valid_until__lt=today, then=models.Value(PurchaseState.EXPIRED)),
                models.When(valid_from__gt=today, then=models.Value(PurchaseState.UPCOMING)),
                default=models.Value(PurchaseState.ACTIVE),
                output_field=models.CharField(),
            ),
        )


class PackagePurchase(models.Model):
    """A purchase of a package. Credit packages: `credits` bought, `credits_left` of them
    (uses draw on the oldest purchase first). Subscription packages: the days from
    `valid_from` to `valid_until`. `forfeited_at` is set when switching kind gave it up."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="package_purchases",
        verbose_name=_("customer"),
    )
    package = models.ForeignKey(
        Package, on_delete=models.PROTECT, related_name="purchases", verbose_name=_("package")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=PackageKind.choices)
    bought_at = models.DateTimeField(_("bought on"), auto_now_add=True, db_index=True)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bought by"),
    )
    order = models.OneToOneField(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="package_purchase",
        verbose_name=_("order"),
    )
    credits = models.PositiveIntegerField(_("credits"), null=True, blank=True)
    credits_left = models.PositiveIntegerField(_("credits left"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    forfeited_at = models.DateTimeField(_("forfeited"), null=True, blank=True)

    objects = PackagePurchaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("purchased package")
        verbose_name_plural = _("purchased packages")
        ordering = ["-bought_at", "-id"]
        constraints = [
            # The same shape as Package: credits for a credit package, dates for the other.
            models.CheckConstraint(
                condition=models.Q(
                    kind="credits",
                    credits__isnull=False,
                    credits_left__isnull=False,
                    credits_left__lte=models.F("credits"),
                    valid_until__isnull=True,
                )
                | models.Q(
                    kind="subscription",
                    credits__isnull=True,
                    credits_left__isnull=True,
                    valid_from__isnull=False,
                    valid_until__isnull=False,
                ),
                name="package_purchase_kind_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package} ({self.customer})"

    def days_left(self, today: date) -> int | None:
        """Subscription packages: the days of use still to come (all of them before it
        starts, none once it ended or was forfeited); None for credit packages."""
        if self.kind != PackageKind.SUBSCRIPTION:
            return None
        if self.forfeited_at is not None or self.valid_until < today:
            return 0
        return (self.valid_until - max(today, self.valid_from)).days + 1
