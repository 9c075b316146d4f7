"""Checkouts (one customer's order of one tariff, from review to paid first invoice) and the
payment links that open them for people who are not customers yet."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.documents.models import Invoice
from contracts.models import Customer, LegalDocument
from core.models import Tenant
from subscriptions.models import DiscountCode, Module, Option, Subscription, Tariff


def new_link_slug() -> str:
    # 128 bits: a link that sells is public, but nobody finds it by guessing.
    return secrets.token_urlsafe(16)


class PaymentLink(models.Model):
    """A public URL that sells one tariff (with chosen options), or lets the buyer pick among
    a few tariffs of one module. The link is the invitation: a stranger may sign up on it even
    where the business's open self-registration is off."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("business")
    )
    slug = models.CharField(max_length=40, unique=True, default=new_link_slug, editable=False)
    name = models.CharField(
        _("title"), max_length=200, help_text=_("Shown to the buyer at the top of the page.")
    )
    description = models.TextField(_("description"), blank=True)
    module = models.ForeignKey(
        Module, on_delete=models.PROTECT, related_name="+", verbose_name=_("module")
    )
    tariffs = models.ManyToManyField(
        Tariff,
        related_name="+",
        verbose_name=_("tariffs"),
        help_text=_("One tariff sells that tariff; several let the buyer pick."),
    )
    options = models.ManyToManyField(
        Option,
        blank=True,
        related_name="+",
        verbose_name=_("add-on options included"),
        help_text=_("Booked once with the tariff, where the tariff offers them."),
    )
    discount_code = models.ForeignKey(
        DiscountCode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("discount code"),
        help_text=_("Applied to every purchase through this link."),
    )
    max_uses = models.PositiveIntegerField(
        _("limit on uses"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    expires_on = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("Empty: does not expire.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class CheckoutStatus(models.TextChoices):
    # The subscription is pending and its first invoice open: paying it completes the checkout.
    OPEN = "open", _("Awaiting payment")
    COMPLETED = "completed", _("Completed")
    # Never paid: the invoice was voided, the subscription ended, the code's use given back.
    EXPIRED = "expired", _("Expired")


class Checkout(models.Model):
    """One order placed in the portal: the tariff, options and code chosen, the terms accepted,
    and what it made (a subscription and its first invoice).

    `key` comes from the review page's form: the same form posted twice (a double click, a
    retry after a decline, a second tab) finds this row and orders nothing more."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="checkouts", verbose_name=_("customer")
    )
    key = models.UUIDField(unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN
    )
    tariff = models.ForeignKey(
        Tariff, on_delete=models.PROTECT, related_name="+", verbose_name=_("tariff")
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    # [{"option": id, "quantity": n}]: what was chosen (the subscription holds the prices).
    options = models.JSONField(default=list, blank=True)
    discount_code = models.ForeignKey(
        DiscountCode, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment_link = models.ForeignKey(
        PaymentLink,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="checkouts",
        verbose_name=_("payment link"),
    )
    terms = models.ForeignKey(
        LegalDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("terms accepted"),
    )
    subscription = models.OneToOneField(
        Subscription, on_delete=models.PROTECT, related_name="checkout", null=True
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Unpaid by then, it expires (the periodic job, or the next look at it).
    expires_at = models.DateTimeField(_("expires"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("checkout")
        verbose_name_plural = _("checkouts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="checkout_open_due")]
        constraints = [
            # One order of a tariff waiting for payment per customer: the next is that one.
            models.UniqueConstraint(
                fields=["customer", "tariff"],
                condition=models.Q(status="open"),
                name="checkout_one_open_per_tariff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer}: {self.tariff}"
