"""Departments of a helpdesk business, which request kinds cost credits there, and which
customers may use them (`DepartmentAccess`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from core.models import Tenant
from core.models.translated import TranslatedTexts


class RequestKind(models.TextChoices):
    """What a helpdesk reports as one request."""

    TICKET = "ticket", _("Ticket")
    CONVERSATION = "conversation", _("Conversation")
    LIVE_CHAT = "live_chat", _("Live chat")


class Department(TranslatedTexts):
    """Where requests are handled ("Support", "Development", "Live chat"), and what each
    costs there."""

    TRANSLATED_FIELDS = ("name",)

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("business")
    )
    name = models.CharField(_("name"), max_length=100)
    credits_per_request = models.PositiveIntegerField(
        _("credits per request"),
        default=1,
        help_text=_("Taken from a credit package for each request of a kind that counts."),
    )
    counts_tickets = models.BooleanField(_("tickets count"), default=True)
    counts_conversations = models.BooleanField(_("conversations count"), default=True)
    counts_live_chats = models.BooleanField(_("live chats count"), default=True)
    needs_package = models.BooleanField(
        _("needs a package"),
        default=True,
        help_text=_(
            "On: only customers with access to the department (from a package, or given by "
            "staff) may open requests, which cost credits. Off: open to every customer, free."
        ),
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.localized_name

    def counts(self, kind: str) -> bool:
        """Whether a request of this kind costs credits here."""
        return {
            RequestKind.TICKET: self.counts_tickets,
            RequestKind.CONVERSATION: self.counts_conversations,
            RequestKind.LIVE_CHAT: self.counts_live_chats,
        }[RequestKind(kind)]


class AccessSource(models.TextChoices):
    PACKAGE = "package", _("Package")
    STAFF = "staff", _("Staff")


class DepartmentAccess(models.Model):
    """Whether one customer may use one department. A purchase switches its package's
    departments on (source: package); switching kind or a lapsed subscription package switches
    them off; staff may switch either way by hand (source: staff). One row per pair, kept when
    switched off, so the page can say when and why."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="department_access",
        verbose_name=_("customer"),
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="access", verbose_name=_("department")
    )
    is_enabled = models.BooleanField(_("switched on"), default=False)
    source = models.CharField(_("switched by"), max_length=10, choices=AccessSource.choices)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        verbose_name = _("department access")
        verbose_name_plural = _("department access")
        ordering = ["department__name"]
        constraints = [
            # One switch per customer and department: switching updates it, never adds a row.
            models.UniqueConstraint(
                fields=["customer", "department"], name="department_access_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer}: {self.department}"


class UsageRecord(models.Model):
    """One request a helpdesk reported (a ticket, a conversation, a live chat), with what it
    cost. The external id is the helpdesk's own, unique per business: reporting it again
    charges nothing more."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="usage", verbose_name=_("customer")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    kind = models.CharField(_("request kind"), max_length=16, choices=RequestKind.choices)
    external_id = models.CharField(_("external id"), max_length=200)
    occurred_at = models.DateTimeField(_("time"))
    credits = models.PositiveIntegerField(_("credits charged"), default=0)
    ledger_entry = models.OneToOneField(
        "subscriptions.CreditLedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="usage",
        verbose_name=_("ledger entry"),
    )
    created_at = models.DateTimeField(_("reported"), auto_now_add=True)
    api_key = models.ForeignKey(
        "core.ApiKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported with"),
    )

    class Meta:
        verbose_name = _("usage")
        verbose_name_plural = _("usage")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            # Idempotency: the helpdesk's id names one request, charged once.
            models.UniqueConstraint(fields=["tenant", "external_id"], name="usage_external_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_id}"
