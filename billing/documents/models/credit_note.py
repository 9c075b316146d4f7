"""Credit notes correct finalized invoices (fully or in part) and the customer credit they may
leave, which later invoices use up automatically."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.documents.models.invoice import Invoice, InvoiceLine
from contracts.models import Customer
from core.models import Tenant
from core.validators import DOCUMENT_NUMBER_MAX_LENGTH


class Settlement(models.TextChoices):
    CREDIT = "credit", _("Customer credit")
    REFUND = "refund", _("Refund")


class CreditNote(models.Model):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("business")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("customer")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("invoice")
    )
    number = models.CharField(_("number"), max_length=DOCUMENT_NUMBER_MAX_LENGTH)
    issue_date = models.DateField(_("issue date"))
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.CharField(_("reason"), max_length=300)
    settlement = models.CharField(
        _("what happens to the money"),
        max_length=8,
        choices=Settlement.choices,
        default=Settlement.CREDIT,
    )
    seller = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    buyer = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    net_amount = models.DecimalField(_("net"), max_digits=19, decimal_places=2)
    tax_amount = models.DecimalField(_("tax"), max_digits=19, decimal_places=2)
    gross_amount = models.DecimalField(_("total"), max_digits=19, decimal_places=2)
    pdf = models.FileField(_("PDF"), upload_to="credit-notes/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(_("PDF checksum"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="credit_note_number_unique"),
        ]
        indexes = [
            # The portal's list, paged by keyset (core.paging): a seek, whatever the page.
            models.Index(
                fields=["customer", "-issue_date", "-id"], name="credit_note_customer_seek"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CreditNoteLine(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=4)
    unit_price = models.DecimalField(_("unit price"), max_digits=19, decimal_places=4)
    tax_rate = models.DecimalField(_("VAT (%)"), max_digits=5, decimal_places=2)
    net_amount = models.DecimalField(_("net"), max_digits=19, decimal_places=2)
    tax_amount = models.DecimalField(_("VAT"), max_digits=19, decimal_places=2)
    gross_amount = models.DecimalField(_("total"), max_digits=19, decimal_places=2)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description


class CustomerCreditEntry(models.Model):
    """The customer's credit balance is the sum of these (per currency): credit notes add,
    invoices that use it subtract."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="credit_balance_entries"
    )
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=19, decimal_places=2)
    credit_note = models.ForeignKey(
        CreditNote, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class InvoiceDelivery(models.Model):
    """The invoice went out: to whom, when (the last send), attached or as a link. No
    recipients: staff handed it over outside Kontor, so it is not e-mailed."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="delivery")
    recipients = models.JSONField(default=list)
    attached = models.BooleanField(default=False)
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.invoice} → {', '.join(self.recipients) or '—'}"


class CreditNoteDelivery(models.Model):
    """The credit note was e-mailed (once): to whom, when, attached or as a link. Its invoice's
    recipients receive it, the way they receive invoices."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    credit_note = models.OneToOneField(
        CreditNote, on_delete=models.PROTECT, related_name="delivery"
    )
    recipients = models.JSONField(default=list)
    attached = models.BooleanField(default=False)
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.credit_note} → {', '.join(self.recipients) or '—'}"
