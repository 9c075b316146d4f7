import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import LegalIdentity, Tenant
from core.validators import (
    EU_VAT_PREFIXES,
    normalize_vat_id,
    validate_vat_id,
    vat_id_country,
)


def new_link_secret() -> str:
    return secrets.token_urlsafe(24)


class VatRegime(models.TextChoices):
    STANDARD = "standard", _("Standard VAT")
    # EU B2B across borders: 0 % here, the buyer accounts for the VAT (legal mention on invoices).
    REVERSE_CHARGE = "reverse_charge", _("Reverse charge")
    NOT_TAXABLE = "not_taxable", _("Not taxable")


class DocumentDelivery(models.TextChoices):
    ATTACHMENT = "attachment", _("PDF attached to the e-mail")
    LINK = "link", _("Download link in the e-mail")


class EInvoiceFormat(models.TextChoices):
    """What the customer receives as its e-invoice. Every invoice PDF is a Factur-X / ZUGFeRD
    file; German public buyers, and businesses that ask for it, receive an XRechnung as well."""

    FACTURX = "facturx", _("Factur-X / ZUGFeRD PDF")
    XRECHNUNG = "xrechnung", _("Factur-X PDF and XRechnung XML")


class Customer(LegalIdentity):
    """A tenant's customer account: the party that is invoiced."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="customers", verbose_name=_("business")
    )
    name = models.CharField(_("name"), max_length=200)
    # Free text, often the number in the tenant's accounting system.
    number = models.CharField(_("customer number"), max_length=64, blank=True)
    language = models.CharField(
        _("document language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Invoices and e-mails use this language; empty means the business's."),
    )

    # Contract data. The customer may edit the billing address, PO number and recipients;
    # the rest is the business's (some fields Manager and up only: see CUSTOMER_FIELD_ACTIONS).
    contract_partner = models.ForeignKey(
        "contracts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contract partner"),
    )
    billing_company = models.CharField(_("company"), max_length=200, blank=True)
    billing_street = models.CharField(_("street and number"), max_length=200, blank=True)
    billing_street_2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    billing_postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    billing_city = models.CharField(_("city"), max_length=100, blank=True)
    billing_country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("Two-letter code, e.g. DE or FR.")
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"),
        null=True,
        blank=True,
        help_text=_("Empty: the business's general terms."),
    )
    vat_regime = models.CharField(
        _("VAT regime"), max_length=20, choices=VatRegime.choices, default=VatRegime.STANDARD
    )
    vat_id = models.CharField(
        _("VAT number"), max_length=20, blank=True, validators=[validate_vat_id]
    )
    invoice_recipients = models.JSONField(
        _("invoice recipients"),
        default=list,
        blank=True,
        help_text=_("E-mail addresses that receive invoices and credit notes."),
    )
    document_delivery = models.CharField(
        _("documents are sent as"),
        max_length=12,
        choices=DocumentDelivery.choices,
        default=DocumentDelivery.ATTACHMENT,
    )
    po_number = models.CharField(_("PO number"), max_length=64, blank=True)
    buyer_reference = models.CharField(
        _("buyer reference"),
        max_length=100,
        blank=True,
        help_text=_(
            "The Leitweg-ID of a German public buyer, or the reference your buyer asks for."
        ),
    )
    einvoice_format = models.CharField(
        _("e-invoice format"),
        max_length=12,
        choices=EInvoiceFormat.choices,
        default=EInvoiceFormat.FACTURX,
        help_text=_(
            "XRechnung: German public buyers and the businesses that ask for it receive the "
            "XRechnung XML with each invoice and credit note. It needs a buyer reference "
            "(Leitweg-ID) or PO number, and the billing address's postal code and city."
        ),
    )
    is_test_account = models.BooleanField(
        _("test account"),
        default=False,
        help_text=_("Never charged for real; left out of revenue figures."),
    )

    # Closed at the customer's request: contacts can no longer log in, records are kept (invoices
    # must be retained for years), nothing new is billed.
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)

    # Salt of every signed link sent to this customer; rotating it revokes them all.
    link_secret = models.CharField(max_length=64, default=new_link_secret, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        constraints = [
            # Customer numbers identify an account in the tenant's accounting: never twice.
            models.UniqueConstraint(
                fields=["tenant", "number"],
                condition=~models.Q(number=""),
                name="customer_number_unique_per_tenant",
            ),
            # Reverse charge shifts the VAT to the buyer, who must be identified by a VAT id.
            models.CheckConstraint(
                condition=~models.Q(vat_regime="reverse_charge", vat_id=""),
                name="customer_reverse_charge_needs_vat_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})" if self.number else self.name

    def clean(self) -> None:
        self.vat_id = normalize_vat_id(self.vat_id)
        self.billing_country = self.billing_country.upper()
        self.clean_legal_identity(self.billing_country)
        self.clean_einvoice_format()
        if self.vat_regime == VatRegime.REVERSE_CHARGE:
            if not self.vat_id:
                raise ValidationError(
                    {"vat_id": _("Reverse charge needs the customer's VAT number.")},
                    code="vat_id",
                )
            seller_country = self.tenant.country.upper() if self.tenant_id else ""
            if self.vat_id[:2] not in EU_VAT_PREFIXES or (
                seller_country and vat_id_country(self.vat_id) == seller_country
            ):
                raise ValidationError(
                    {
                        "vat_regime": _(
                            "Reverse charge applies to business customers in another EU country."
                        )
                    },
                    code="reverse_charge_country",
                )

    def clean_einvoice_format(self) -> None:
        """XRechnung requires a buyer reference (BR-DE-15; a PO number stands in for businesses
        without one) and the buyer's postal code and city (BR-DE-8, BR-DE-9)."""
        if self.einvoice_format != EInvoiceFormat.XRECHNUNG:
            return
        errors = {}
        if not (self.buyer_reference.strip() or self.po_number.strip()):
            errors["buyer_reference"] = _(
                "XRechnung needs a buyer reference: the Leitweg-ID of a German public buyer, "
                "or the reference or PO number your buyer asked for."
            )
        if not (self.billing_postal_code.strip() and self.billing_city.strip()):
            errors["billing_city"] = _("XRechnung needs the postal code and city.")
        if errors:
            raise ValidationError(errors, code="xrechnung")

    @property
    def effective_payment_terms_days(self) -> int:
        if self.payment_terms_days is not None:
            return self.payment_terms_days
        return self.tenant.payment_terms_days

    @property
    def billing_address_lines(self) -> list[str]:
        """The address printed on documents: the billing address, else the customer's name."""
        city = " ".join(p for p in (self.billing_postal_code, self.billing_city) if p)
        lines = [
            self.billing_company or self.name,
            self.billing_street,
            self.billing_street_2,
            city,
            self.billing_country,
        ]
        return [line for line in lines if line]
