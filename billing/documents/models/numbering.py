from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Tenant


class NumberSeries(models.TextChoices):
    INVOICE = "invoice", _("Invoices")
    CREDIT_NOTE = "credit_note", _("Credit notes")
    QUOTE = "quote", _("Quotes")
    # Test accounts' invoices and credit notes: one counter of their own, so a test never
    # takes a legal number (the invoice and credit-note series stay gapless without them).
    TEST = "test", _("Test documents")
    RECEIPT = "receipt", _("Receipts")


class NumberSequence(models.Model):
    """The next free number of a series, per tenant and period ("2026" when numbers restart
    every year, "" when they never do). Locked while a document is finalized, so numbers are
    gapless and never given twice."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    series = models.CharField(max_length=16, choices=NumberSeries.choices)
    period = models.CharField(max_length=8, blank=True)
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "series", "period"], name="number_sequence_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.period}: {self.next_number}"
