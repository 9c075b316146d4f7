"""Quote requests: a customer asks for a quote from the portal, picking from the catalogue."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contracts.models import Customer
from core.models import Tenant
from quotes.models.quote import Quote
from subscriptions.models import Option, Tariff


class RequestStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("quote request", "Open")
    QUOTED = "quoted", _("Quote drafted")
    CLOSED = "closed", _("Closed")


class QuoteRequest(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("business")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="quote_requests",
        verbose_name=_("customer"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    # The draft staff made of it (one request, one quote).
    quote = models.OneToOneField(
        Quote,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="request",
        verbose_name=_("quote"),
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    # The business's staff were e-mailed (once, even if the job runs twice).
    notified_at = models.DateTimeField(_("staff notified"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote request")
        verbose_name_plural = _("quote requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "status", "created_at"], name="quote_request_status")
        ]

    def __str__(self) -> str:
        return str(_("Quote request %(id)s") % {"id": self.pk})


class QuoteRequestItem(models.Model):
    """A tariff the customer asks about, with how many and which add-on options."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(QuoteRequest, on_delete=models.CASCADE, related_name="items")
    tariff = models.ForeignKey(
        Tariff, on_delete=models.PROTECT, related_name="+", verbose_name=_("tariff")
    )
    quantity = models.PositiveIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1)]
    )
    options = models.ManyToManyField(
        Option, blank=True, related_name="+", verbose_name=_("add-on options")
    )

    class Meta:
        verbose_name = _("requested item")
        verbose_name_plural = _("requested items")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.tariff} × {self.quantity}"
