"""Quotes: what a business offers a customer, line by line, until the customer approves it and
it becomes an invoice and subscriptions.

A quote is numbered when it is first sent, and frozen from then on (seller, buyer, lines,
totals, its PDF): a change is a revision, a new version under the same number, and the old
version is kept as superseded."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing.models import Invoice
from contracts.models import Contact, Customer, LegalDocument
from core.models import Tenant
from core.validators import DOCUMENT_NUMBER_MAX_LENGTH
from subscriptions.models import Option, Subscription, Tariff


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SUPERSEDED = "superseded", _("Replaced by a revision")
    CONVERTED = "converted", _("Approved and ordered")


# Which status may follow which; services move along these edges only, under the quote's row
# lock, writing a QuoteEvent per move. Approval converts in the same transaction, so a quote
# rests in APPROVED only while that transaction runs.
QUOTE_TRANSITIONS: dict[str, set[str]] = {
    QuoteStatus.DRAFT: {QuoteStatus.SENT},
    QuoteStatus.SENT: {
        QuoteStatus.APPROVED,
        QuoteStatus.DECLINED,
        QuoteStatus.EXPIRED,
        QuoteStatus.WITHDRAWN,
        QuoteStatus.SUPERSEDED,
    },
    QuoteStatus.APPROVED: {QuoteStatus.CONVERTED},
    # An expired quote can still be revised into a new, valid version.
    QuoteStatus.EXPIRED: {QuoteStatus.SUPERSEDED},
    QuoteStatus.DECLINED: set(),
    QuoteStatus.WITHDRAWN: set(),
    # Back only when its revision is deleted unsent (quote_delete_draft).
    QuoteStatus.SUPERSEDED: {QuoteStatus.SENT, QuoteStatus.EXPIRED},
    QuoteStatus.CONVERTED: set(),
}

# Shown to the customer (drafts never are).
VISIBLE_TO_CUSTOMERS = [s for s in QuoteStatus if s != QuoteStatus.DRAFT]


class DepositKind(models.TextChoices):
    NONE = "", _("No deposit")
    PERCENT = "percent", _("Percentage of the one-off total")
    AMOUNT = "amount", _("Fixed amount (incl. VAT)")


class QuoteQuerySet(models.QuerySet):
    def visible_to_customers(self) -> QuoteQuerySet:
        return self.exclude(status=QuoteStatus.DRAFT)


class Quote(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("business")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("customer")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    # Gapless per business, taken when the quote is first sent; revisions keep it.
    number = models.CharField(_("number"), max_length=DOCUMENT_NUMBER_MAX_LENGTH, blank=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    revision_of = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revised_by",
        verbose_name=_("revision of"),
    )
    currency = models.CharField(_("currency"), max_length=3)
    title = models.CharField(_("title"), max_length=200, blank=True)
    introduction = models.TextField(_("introduction"), blank=True)
    terms = models.TextField(_("terms"), blank=True)
    po_number = models.CharField(_("PO number"), max_length=64, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    deposit_kind = models.CharField(
        _("deposit"), max_length=8, choices=DepositKind.choices, default="", blank=True
    )
    deposit_value = models.DecimalField(
        _("deposit (percent or amount)"),
        max_digits=19,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    # Frozen when sent, like an invoice's at finalization.
    issue_date = models.DateField(pgettext_lazy("quote", "issue date"), null=True, blank=True)
    seller = models.JSONField(_("seller"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    buyer = models.JSONField(_("buyer"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    vat_regime = models.CharField(_("VAT regime"), max_length=20, blank=True)
    # The one-off lines' totals: what an invoice of them would come to.
    net_amount = models.DecimalField(_("net"), max_digits=19, decimal_places=2, default=0)
    tax_amount = models.DecimalField(_("tax"), max_digits=19, decimal_places=2, default=0)
    gross_amount = models.DecimalField(_("total"), max_digits=19, decimal_places=2, default=0)
    deposit_amount = models.DecimalField(
        _("deposit due on approval"), max_digits=19, decimal_places=2, default=0
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # E-mailed to the customer (once per version, even if the job runs twice).
    emailed_to = models.JSONField(_("e-mailed to"), default=list, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    # Approval: who, when, from where, under which terms.
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approver_name = models.CharField(_("signed as"), max_length=200, blank=True)
    approver_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    approver_user_agent = models.CharField(_("browser"), max_length=400, blank=True)
    approved_terms = models.ForeignKey(
        LegalDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("terms accepted"),
    )
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    # What it became.
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quotes_invoiced",
        verbose_name=_("invoice"),
    )
    deposit_invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quotes_deposited",
        verbose_name=_("deposit invoice"),
    )
    subscriptions = models.ManyToManyField(
        Subscription, blank=True, related_name="quotes", verbose_name=_("subscriptions")
    )
    # The PDF as sent, stored once; after approval a second copy carries the approval record.
    pdf = models.FileField(_("PDF"), upload_to="quotes/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(_("PDF checksum"), max_length=64, blank=True)
    approved_pdf = models.FileField(_("approved PDF"), upload_to="quotes/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = QuoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number", "version"],
                condition=~models.Q(number=""),
                name="quote_number_version_unique",
            ),
            # Sent or beyond: numbered and dated; a draft is neither, unless it is a revision,
            # which is drafted under the number of the version it replaces.
            models.CheckConstraint(
                condition=models.Q(status="draft", number="")
                | models.Q(status="draft", revision_of__isnull=False)
                | (
                    ~models.Q(status="draft")
                    & ~models.Q(number="")
                    & models.Q(issue_date__isnull=False)
                ),
                name="quote_number_iff_sent",
            ),
            models.CheckConstraint(
                condition=~models.Q(deposit_kind="percent", deposit_value__gt=100),
                name="quote_deposit_percent_at_most_100",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "customer", "status"], name="quote_customer_status"),
            models.Index(fields=["tenant", "status", "valid_until"], name="quote_expiry"),
        ]

    def __str__(self) -> str:
        if not self.number:
            return str(_("Draft quote %(id)s") % {"id": self.pk})
        if self.version > 1:
            return f"{self.number} v{self.version}"
        return self.number

    @property
    def is_pending(self) -> bool:
        return self.status == QuoteStatus.SENT

    def is_past_validity(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.valid_until is not None and self.valid_until < today


class LineKind(models.TextChoices):
    ONE_OFF = "one_off", _("One-off")
    RECURRING = "recurring", _("Recurring")


class QuoteLine(models.Model):
    """One-off: free text, quantity, unit price and VAT rate, as on an invoice. Recurring: a
    tariff of the catalogue with its add-on options, quantity and start date; `unit_price` is
    the price per period the quote offers, which the subscription keeps as its price snapshot,
    and the amounts are one period's (options included)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(
        _("kind"), max_length=10, choices=LineKind.choices, default=LineKind.ONE_OFF
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=4,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.0001"))],
    )
    unit_price = models.DecimalField(_("unit price"), max_digits=19, decimal_places=4)
    tax_rate = models.DecimalField(
        _("VAT (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    net_amount = models.DecimalField(_("net"), max_digits=19, decimal_places=2, default=0)
    tax_amount = models.DecimalField(_("VAT"), max_digits=19, decimal_places=2, default=0)
    gross_amount = models.DecimalField(_("total"), max_digits=19, decimal_places=2, default=0)
    tariff = models.ForeignKey(
        Tariff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tariff"),
    )
    start_on = models.DateField(_("starts on"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["position", "id"]
        constraints = [
            # A recurring line names its tariff; a one-off line has none.
            models.CheckConstraint(
                condition=models.Q(kind="one_off", tariff__isnull=True)
                | models.Q(kind="recurring", tariff__isnull=False),
                name="quote_line_tariff_iff_recurring",
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_recurring(self) -> bool:
        return self.kind == LineKind.RECURRING


class QuoteLineOption(models.Model):
    """An add-on option offered with a recurring line, at the quote's monthly price."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(QuoteLine, on_delete=models.CASCADE, related_name="options")
    option = models.ForeignKey(
        Option, on_delete=models.PROTECT, related_name="+", verbose_name=_("add-on option")
    )
    quantity = models.PositiveIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1)]
    )
    unit_price = models.DecimalField(_("price per month"), max_digits=19, decimal_places=4)

    class Meta:
        verbose_name = _("offered option")
        verbose_name_plural = _("offered options")
        constraints = [
            models.UniqueConstraint(fields=["line", "option"], name="quote_line_option_once"),
        ]

    def __str__(self) -> str:
        return f"{self.option} × {self.quantity}"


class QuoteEvent(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quote event")
        verbose_name_plural = _("quote events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.from_status} → {self.to_status}"
