"""Orders and their delivery: a timeline of stages that staff advance and customers follow."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from core.models import Tenant
from subscriptions.models.subscription import Subscription


class StageTemplate(models.Model):
    """A business's usual delivery stages, copied onto each new order (names are its own)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("business")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("delivery stage template")
        verbose_name_plural = _("delivery stage templates")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "position"], name="stage_template_position"),
        ]

    def __str__(self) -> str:
        return self.name


class OrderKind(models.TextChoices):
    ONE_OFF = "one_off", _("One-off")
    SUBSCRIPTION = "subscription", _("Part of a subscription")


class Order(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("business")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("subscription"),
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=OrderKind.choices, default=OrderKind.ONE_OFF
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    ordered_at = models.DateTimeField(_("ordered"), auto_now_add=True)
    # A one-off order's price (a package bought in the portal, or set by staff); invoiced once,
    # by the back office's "Invoice this order" or by the next billing run.
    amount = models.DecimalField(
        _("amount"), max_digits=19, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    # Empty: the business's default VAT rate when the order is invoiced.
    tax_rate = models.DecimalField(
        _("VAT (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: the business's default rate."),
    )
    # Set in the transaction that issues the order's invoice, under the order's row lock: the
    # billing run picks up priced orders without it (as it does PendingCharge rows), so an order
    # is never invoiced twice. Whether it is paid is not stored here: it is read from its
    # invoices (billing.documents.selectors.order_payments), so it can never drift from them.
    invoiced_at = models.DateTimeField(_("invoiced"), null=True, blank=True)
    # Set once the purchase e-mails went out, so a retried task never sends them twice.
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_at", "-id"]
        constraints = [
            # A price means nothing without its currency, and an order never pays the customer.
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True)
                | (models.Q(amount__gte=0) & ~models.Q(currency="")),
                name="order_price_has_currency",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_priced(self) -> bool:
        return self.amount is not None and self.amount > 0


class DeliveryStage(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="stages", verbose_name=_("order")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("stage"), max_length=100)
    note = models.CharField(_("note for the customer"), max_length=300, blank=True)
    reached_at = models.DateTimeField(_("reached"), null=True, blank=True)
    reached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("delivery stage")
        verbose_name_plural = _("delivery stages")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="delivery_stage_position"),
        ]

    def __str__(self) -> str:
        return self.name
