"""Invoices. A draft can change; finalizing gives it a number and freezes everything — enforced
in the database too (billing/migrations: triggers), so no code path can alter a finalized one."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Customer
from core.models import Tenant
from core.validators import DOCUMENT_NUMBER_MAX_LENGTH


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")
    UNCOLLECTIBLE = "uncollectible", _("Uncollectible")


INVOICE_TRANSITIONS: dict[str, set[str]] = {
    InvoiceStatus.DRAFT: {InvoiceStatus.OPEN},
    InvoiceStatus.OPEN: {InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.UNCOLLECTIBLE},
    InvoiceStatus.UNCOLLECTIBLE: {InvoiceStatus.PAID},
    InvoiceStatus.PAID: set(),
    InvoiceStatus.VOID: set(),
}

# Money can still come in for these: a written-off invoice is paid if the customer pays late.
PAYABLE = (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE)


class InvoiceQuerySet(models.QuerySet):
    def visible_to_customers(self) -> InvoiceQuerySet:
        """Drafts are never shown to customers."""
        return self.exclude(status=InvoiceStatus.DRAFT)


class Invoice(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("business")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("customer")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    number = models.CharField(_("number"), max_length=DOCUMENT_NUMBER_MAX_LENGTH, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    # Frozen at finalization: who sold, who bought, on which terms (later edits of the contract
    # change only documents issued afterwards).
    seller = models.JSONField(_("seller"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    buyer = models.JSONField(_("buyer"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    vat_regime = models.CharField(_("VAT regime"), max_length=20, blank=True)
    net_amount = models.DecimalField(_("net"), max_digits=19, decimal_places=2, default=0)
    tax_amount = models.DecimalField(_("tax"), max_digits=19, decimal_places=2, default=0)
    gross_amount = models.DecimalField(_("total"), max_digits=19, decimal_places=2, default=0)
    amount_paid = models.DecimalField(_("paid"), max_digits=19, decimal_places=2, default=0)
    # Settled without payment: customer credit used, or credit notes against it.
    amount_credited = models.DecimalField(_("credited"), max_digits=19, decimal_places=2, default=0)
    is_test = models.BooleanField(_("test account"), default=False)
    # One invoice per subscription and period: the billing run relies on it to be idempotent.
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
    )
    period_start = models.DateField(_("period"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finalized_at = models.DateTimeField(_("finalized"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # Rendered once, the first time it is needed, then kept: never re-rendered from changed data.
    pdf = models.FileField(_("PDF"), upload_to="invoices/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(_("PDF checksum"), max_length=64, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number"],
                condition=~models.Q(number=""),
                name="invoice_number_unique",
            ),
            models.UniqueConstraint(
                fields=["subscription", "period_start"],
                condition=models.Q(subscription__isnull=False),
                name="invoice_once_per_subscription_period",
            ),
            # A finalized invoice has its number and dates; a draft has none.
            models.CheckConstraint(
                condition=models.Q(status="draft", number="")
                | (
                    ~models.Q(status="draft")
                    & ~models.Q(number="")
                    & models.Q(issue_date__isnull=False, due_date__isnull=False)
                ),
                name="invoice_number_iff_finalized",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "customer", "status"], name="invoice_customer_status"),
            # The portal's list, paged by keyset (core.paging): a seek, whatever the page.
            models.Index(fields=["customer", "-issue_date", "-id"], name="invoice_customer_seek"),
        ]

    def __str__(self) -> str:
        return self.number or str(_("Draft %(id)s") % {"id": self.pk})

    @property
    def amount_due(self) -> Decimal:
        return self.gross_amount - self.amount_paid - self.amount_credited

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return (
            self.status == InvoiceStatus.OPEN
            and self.due_date is not None
            and self.due_date < today
        )


class InvoiceLine(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=4, default=Decimal(1)
    )
    unit_price = models.DecimalField(_("unit price"), max_digits=19, decimal_places=4)
    tax_rate = models.DecimalField(_("VAT (%)"), max_digits=5, decimal_places=2)
    # Net rounded per line, half-up, to the currency. VAT is rounded once per rate (BR-CO-17);
    # from finalization on, tax_amount is the line's share of its rate's VAT
    # (calculations.allocate), so the invoice's totals are sums of these.
    net_amount = models.DecimalField(_("net"), max_digits=19, decimal_places=2)
    tax_amount = models.DecimalField(_("VAT"), max_digits=19, decimal_places=2)
    gross_amount = models.DecimalField(_("total"), max_digits=19, decimal_places=2)
    service_start = models.DateField(_("service from"), null=True, blank=True)
    service_end = models.DateField(_("service until"), null=True, blank=True)
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    order = models.ForeignKey(
        "subscriptions.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The catalogue's add-on this line bills (booked options come and go; the catalogue stays).
    option = models.ForeignKey(
        "subscriptions.Option",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # never searched by; an index would slow every billing run's inserts
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description


class InvoiceEvent(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.from_status} → {self.to_status}"
