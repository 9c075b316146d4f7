import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.licence import LicenceModule, licence_enabled
from core.models import LegalIdentity, Tenant
from core.validators import (
    EU_COUNTRIES,
    EU_VAT_PREFIXES,
    normalize_vat_id,
    validate_vat_id,
    vat_id_country,
)


def new_link_secret() -> str:
    return secrets.token_urlsafe(24)


class VatRegime(models.TextChoices):
    """How the customer's invoices are taxed. Every regime but standard charges no VAT; each
    prints its legal mention (billing.documents.finalization) and maps to an EN 16931 VAT
    category (billing.documents.einvoice)."""

    STANDARD = "standard", _("Standard VAT")
    # EU B2B services across borders (Directive 2006/112/EC art. 196): the buyer accounts for it.
    REVERSE_CHARGE = "reverse_charge", _("Reverse charge")
    # Goods dispatched to a business in another member state (art. 138).
    INTRA_EU_GOODS = "intra_eu_goods", _("Intra-EU supply of goods")
    # Goods dispatched outside the EU (art. 146).
    EXPORT = "export", _("Export of goods outside the EU")
    # An exempt activity (art. 132, 135): the reason is chosen on the customer.
    EXEMPT = "exempt", _("Exempt from VAT")
    # B2B services whose place of supply is the buyer's country outside the EU (art. 44).
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope of EU VAT")


# What documents issued before out_of_scope had its name store instead of it; they keep it.
LEGACY_NOT_TAXABLE = "not_taxable"
# What a document of a business under a small-business exemption stores, whatever the customer's
# regime (core.models.SmallBusinessExemption): no VAT at all.
SMALL_BUSINESS = "small_business"


def vat_regime_label(value: str) -> str:
    """The name of a regime as a document stores it, old and seller-side ones included."""
    if value == LEGACY_NOT_TAXABLE:
        value = VatRegime.OUT_OF_SCOPE
    if value == SMALL_BUSINESS:
        return str(_("Small-business exemption"))
    return str(VatRegime(value).label) if value in VatRegime.values else value


class VatExemptionReason(models.TextChoices):
    """Why an exempt customer's supplies carry no VAT: the CEF VATEX code (EN 16931 BT-121) of the
    Directive 2006/112/EC article, the commonest ones of articles 132 and 135."""

    MEDICAL_CARE = "VATEX-EU-132-1B", _("Hospital and medical care (art. 132(1)(b))")
    MEDICAL_PROFESSIONS = (
        "VATEX-EU-132-1C",
        _("Medical care by the medical and paramedical professions (art. 132(1)(c))"),
    )
    WELFARE = "VATEX-EU-132-1G", _("Welfare and social security work (art. 132(1)(g))")
    EDUCATION = (
        "VATEX-EU-132-1I",
        _("School or university education, vocational training (art. 132(1)(i))"),
    )
    PRIVATE_TUITION = "VATEX-EU-132-1J", _("Private tuition by teachers (art. 132(1)(j))")
    SPORT = "VATEX-EU-132-1M", _("Services closely linked to sport (art. 132(1)(m))")
    CULTURE = "VATEX-EU-132-1N", _("Cultural services (art. 132(1)(n))")
    INSURANCE = "VATEX-EU-135-1A", _("Insurance and reinsurance (art. 135(1)(a))")
    CREDIT = "VATEX-EU-135-1B", _("Granting and negotiation of credit (art. 135(1)(b))")
    PAYMENTS = (
        "VATEX-EU-135-1D",
        _("Deposit and current accounts, payments and transfers (art. 135(1)(d))"),
    )
    SECURITIES = "VATEX-EU-135-1F", _("Shares and other securities (art. 135(1)(f))")
    LETTING = "VATEX-EU-135-1L", _("Leasing or letting of immovable property (art. 135(1)(l))")


# Regimes that need the buyer's VAT number from another EU member state.
EU_BUYER_REGIMES = frozenset({VatRegime.REVERSE_CHARGE, VatRegime.INTRA_EU_GOODS})
# Regimes for a buyer established outside the EU.
NON_EU_BUYER_REGIMES = frozenset({VatRegime.EXPORT, VatRegime.OUT_OF_SCOPE})


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
    vat_exemption_reason = models.CharField(
        _("VAT exemption reason"),
        max_length=20,
        choices=VatExemptionReason.choices,
        blank=True,
        help_text=_("Only for an exempt customer: the article of the VAT Directive that applies."),
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
            # So does an intra-EU supply of goods (art. 138: dispatched to a taxable person).
            models.CheckConstraint(
                condition=~models.Q(vat_regime="intra_eu_goods", vat_id=""),
                name="customer_intra_eu_goods_needs_vat_id",
            ),
            # An exemption is printed with its article: never without one.
            models.CheckConstraint(
                condition=~models.Q(vat_regime="exempt", vat_exemption_reason=""),
                name="customer_exempt_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})" if self.number else self.name

    def clean(self) -> None:
        self.vat_id = normalize_vat_id(self.vat_id)
        self.billing_country = self.billing_country.upper()
        self.clean_legal_identity(self.billing_country)
        self.clean_vat_regime()
        self.clean_einvoice_format()

    def clean_vat_regime(self) -> None:
        regime = self.vat_regime
        if regime != VatRegime.EXEMPT:
            self.vat_exemption_reason = ""
        elif not self.vat_exemption_reason:
            raise ValidationError(
                {"vat_exemption_reason": _("Choose why this customer is exempt from VAT.")},
                code="vat_exemption_reason",
            )
        if regime in EU_BUYER_REGIMES:
            if not self.vat_id:
                raise ValidationError(
                    {
                        "vat_id": _("Reverse charge needs the customer's VAT number.")
                        if regime == VatRegime.REVERSE_CHARGE
                        else _("An intra-EU supply of goods needs the customer's VAT number.")
                    },
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
                        if regime == VatRegime.REVERSE_CHARGE
                        else _(
                            "An intra-EU supply of goods is to a business customer in another EU "
                            "country: enter a VAT number of that country."
                        )
                    },
                    code="reverse_charge_country",
                )
        if regime in NON_EU_BUYER_REGIMES and (
            not self.billing_country or self.billing_country in EU_COUNTRIES
        ):
            raise ValidationError(
                {
                    "billing_country": _(
                        "This VAT regime is for customers outside the EU: enter the customer's "
                        "country in the billing address."
                    )
                },
                code="non_eu_country",
            )

    @property
    def document_vat_regime(self) -> str:
        """The regime its documents are issued under: the customer's, unless the business is
        exempt as a small business, which then charges nobody VAT."""
        if self.tenant.small_business_exemption:
            return SMALL_BUSINESS
        return self.vat_regime

    @property
    def charges_vat(self) -> bool:
        return self.document_vat_regime == VatRegime.STANDARD

    def clean_einvoice_format(self) -> None:
        """XRechnung requires a buyer reference (BR-DE-15; a PO number stands in for businesses
        without one) and the buyer's postal code and city (BR-DE-8, BR-DE-9)."""
        if self.einvoice_format != EInvoiceFormat.XRECHNUNG:
            return
        if self.tenant_id and not licence_enabled(self.tenant, LicenceModule.EINVOICING):
            return  # the setting is hidden and unused while e-invoicing is off: kept, not checked
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
