from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models.contact import Contact
from contracts.models.customer import Customer
from core.models import Tenant


class LegalDocumentKind(models.TextChoices):
    TERMS = "terms", _("Terms and conditions")
    PRIVACY = "privacy", _("Privacy policy")


class LegalDocument(models.Model):
    """One published version of a business's terms or privacy policy. Published versions never
    change (acceptances point at them); a change is a new version."""

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        related_name="legal_documents",
        verbose_name=_("business"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=LegalDocumentKind.choices)
    version = models.CharField(_("version"), max_length=32)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published"))

    class Meta:
        verbose_name = _("legal document")
        verbose_name_plural = _("legal documents")
        ordering = ["kind", "-published_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "version"], name="legal_document_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.version}"


class LegalAcceptance(models.Model):
    """A customer accepted a document version: when, and by which of its contacts."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="legal_acceptances",
        verbose_name=_("customer"),
    )
    document = models.ForeignKey(
        LegalDocument,
        on_delete=models.PROTECT,
        related_name="acceptances",
        verbose_name=_("document"),
    )
    accepted_by = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    accepted_at = models.DateTimeField(_("accepted"), auto_now_add=True)

    class Meta:
        verbose_name = _("legal acceptance")
        verbose_name_plural = _("legal acceptances")
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "document"], name="legal_acceptance_once_per_customer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} — {self.document}"
