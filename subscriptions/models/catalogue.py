"""What a business sells: modules, their tariffs (price lists and terms) and add-on options."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Tenant
from core.models.translated import TranslatedTexts
from core.validators import validate_currency


def module_image_path(instance: Module, filename: str) -> str:
    return f"tenants/{instance.tenant.slug}/modules/{filename}"


class Module(TranslatedTexts):
    """A product: "Helpdesk", "Website hosting", "Coaching"."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="modules", verbose_name=_("business")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    image = models.ImageField(_("image"), upload_to=module_image_path, blank=True)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.localized_name


class Option(TranslatedTexts):
    """An add-on a tariff may allow: "extra user", "priority support"."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="options", verbose_name=_("business")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Per month, so one option fits monthly and yearly tariffs alike (a year bills 12 months).
    unit_price = models.DecimalField(
        _("price per month"),
        max_digits=19,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0))],
    )
    currency = models.CharField(
        _("currency"), max_length=3, default="EUR", validators=[validate_currency]
    )

    class Meta:
        verbose_name = _("add-on option")
        verbose_name_plural = _("add-on options")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.localized_name


class Tariff(TranslatedTexts):
    """A way to buy a module: price list, billing interval and contract terms."""

    TRANSLATED_FIELDS = ("name",)

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="tariffs", verbose_name=_("business")
    )
    module = models.ForeignKey(
        Module, on_delete=models.PROTECT, related_name="tariffs", verbose_name=_("module")
    )
    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(
        _("currency"), max_length=3, default="EUR", validators=[validate_currency]
    )
    interval_months = models.PositiveSmallIntegerField(
        _("billed every (months)"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("1 monthly, 3 quarterly, 12 yearly, or any number of months."),
    )
    minimum_term_months = models.PositiveSmallIntegerField(_("minimum term (months)"), default=0)
    notice_period_days = models.PositiveSmallIntegerField(
        _("notice period for cancelling (days)"), default=30
    )
    change_notice_days = models.PositiveSmallIntegerField(
        _("notice period for changing tariff (days)"), default=0
    )
    allowed_changes = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="+",
        verbose_name=_("may change to"),
    )
    options = models.ManyToManyField(
        Option, blank=True, related_name="tariffs", verbose_name=_("add-on options")
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # What subscribers may do themselves in the customer portal. Read from the subscription's
    # current tariff (not snapshotted): a business may close self-service on a plan at any
    # time. Staff in the back office are never limited by these.
    portal_may_cancel = models.BooleanField(_("customers may request cancellation"), default=True)
    portal_may_change = models.BooleanField(
        _("customers may manage the plan (change tariff)"), default=True
    )
    cancellation_needs_approval = models.BooleanField(
        _("cancellation requests need staff approval"),
        default=False,
        help_text=_("A customer's cancellation then waits until staff approve or refuse it."),
    )

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["module__name", "position", "name"]
        constraints = [
            # An interval of 0 months would never renew and divide proration by zero.
            models.CheckConstraint(
                condition=models.Q(interval_months__gte=1), name="tariff_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.module.localized_name} — {self.localized_name}"


class TariffPrice(TranslatedTexts):
    """One priced item of a tariff's price list (a tariff may have several)."""

    TRANSLATED_FIELDS = ("description",)

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    tariff = models.ForeignKey(
        Tariff, on_delete=models.CASCADE, related_name="prices", verbose_name=_("tariff")
    )
    description = models.CharField(_("description"), max_length=200)
    unit_price = models.DecimalField(
        _("price per period"),
        max_digits=19,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0))],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("price list")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.localized_description}: {self.unit_price}"
