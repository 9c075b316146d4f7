from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.licence import default_licence_modules
from core.models.party import LegalIdentity
from core.validators import (
    normalize_iban,
    normalize_vat_id,
    number_formats_may_collide,
    validate_bic,
    validate_brand_contrast,
    validate_currency,
    validate_email_list,
    validate_iban,
    validate_number_format,
    validate_reminder_days,
    validate_timezone,
    validate_vat_id,
)

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
    _("Use lower-case letters, digits and hyphens; it becomes part of the address."),
)
colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB, for example #1f6feb.")
)
# Reserved for the platform itself; a tenant with such a slug would shadow it.
RESERVED_SLUGS = frozenset({"www", "admin", "manage", "static", "media", "api", "mail"})


def default_reminder_days() -> list[int]:
    return [-3, 3, 10]


def normalize_host(host: str) -> str:
    """Host names compare case-insensitively, without port and trailing dot."""
    return host.strip().lower().split(":", 1)[0].rstrip(".")


def validate_slug_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(_("This address is reserved."), code="reserved")


def tenant_logo_path(instance: Tenant, filename: str) -> str:
    return f"tenants/{instance.slug}/logo/{filename}"


class EInvoiceChannel(models.TextChoices):
    """How issued e-invoices reach the buyer (billing/documents/transmission.py registers one
    channel per value). E-mail is the only one Kontor has: a legal platform (a French approved
    platform, Peppol, Italy's SDI, Turkey's GIB) needs an account with a provider, and is added
    as a channel of its own, with its value here."""

    EMAIL = "email", _("E-mail")


class OperationCategory(models.TextChoices):
    """What a business invoices: French invoices say it (CGI, annex II, art. 242 nonies A)."""

    GOODS = "goods", _("Supply of goods")
    SERVICES = "services", _("Supply of services")
    BOTH = "both", _("Supply of goods and services")


class SmallBusinessExemption(models.TextChoices):
    """A national scheme under which a small business charges no VAT (Directive 2006/112/EC
    art. 281-294), each with the country it belongs to and the wording its invoices print."""

    NONE = "", _("None: VAT is charged")
    FR_293B = "fr_293b", _("France: VAT franchise (art. 293 B CGI)")
    DE_19 = "de_19", _("Germany: small business (§ 19 UStG)")


SMALL_BUSINESS_COUNTRY = {SmallBusinessExemption.FR_293B: "FR", SmallBusinessExemption.DE_19: "DE"}


class Tenant(LegalIdentity):
    """A business that uses Kontor to bill its own customers."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("address name"),
        max_length=63,
        unique=True,
        validators=[slug_validator, validate_slug_not_reserved],
        help_text=_("Part of the portal's address: “acme” serves acme.example.com."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    # Branding
    logo = models.ImageField(_("logo"), upload_to=tenant_logo_path, blank=True)
    primary_colour = models.CharField(
        _("primary colour"),
        max_length=7,
        default="#1f6feb",
        validators=[colour_validator, validate_brand_contrast],
    )

    # Locale
    default_currency = models.CharField(
        _("default currency"), max_length=3, default="EUR", validators=[validate_currency]
    )
    locale = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Berlin", validators=[validate_timezone]
    )

    # Legal identity, printed on every document (legal form, registrations and the other tax
    # number come from LegalIdentity)
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    address_line_1 = models.CharField(_("street and number"), max_length=200, blank=True)
    address_line_2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("Two-letter code, e.g. DE or FR.")
    )
    vat_id = models.CharField(
        _("VAT number"), max_length=32, blank=True, validators=[validate_vat_id]
    )
    registration_number = models.CharField(
        _("other registration"),
        max_length=64,
        blank=True,
        help_text=_("Any registration the fields above do not cover."),
    )
    share_capital = models.DecimalField(
        _("share capital"), max_digits=19, decimal_places=2, null=True, blank=True
    )
    share_capital_currency = models.CharField(
        _("share capital currency"),
        max_length=3,
        blank=True,
        validators=[validate_currency],
        help_text=_("Empty: the default currency."),
    )
    registered_office = models.CharField(
        _("registered office"),
        max_length=100,
        blank=True,
        help_text=_("The seat as the commercial register lists it. Empty: the city above."),
    )
    managing_directors = models.CharField(
        _("managing directors"),
        max_length=300,
        blank=True,
        help_text=_("As the register lists them, e.g. Jane Doe, John Roe."),
    )
    # XRechnung requires a seller contact (BG-6): a person or office, e-mail and phone.
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    bank_account_holder = models.CharField(_("account holder"), max_length=200, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    einvoice_channel = models.CharField(
        _("e-invoice transmission"),
        max_length=20,
        choices=EInvoiceChannel.choices,
        default=EInvoiceChannel.EMAIL,
        help_text=_("How invoices reach customers."),
    )

    # Documents and terms
    invoice_number_format = models.CharField(
        _("invoice number format"),
        max_length=64,
        default="INV-{year}-{number:06d}",
        validators=[validate_number_format],
        help_text=_("Placeholders: {year}, {number}."),
    )
    credit_note_number_format = models.CharField(
        _("credit note number format"),
        max_length=64,
        default="CN-{year}-{number:06d}",
        validators=[validate_number_format],
        help_text=_("Placeholders: {year}, {number}."),
    )
    test_number_format = models.CharField(
        _("test document number format"),
        max_length=64,
        default="TEST-{year}-{number:05d}",
        validators=[validate_number_format],
        help_text=_(
            "Invoices and credit notes of test accounts: a series of their own, never a legal "
            "number. Placeholders: {year}, {number}."
        ),
    )
    receipt_number_format = models.CharField(
        _("receipt number format"),
        max_length=64,
        default="R-{year}-{number:05d}",
        validators=[validate_number_format],
        help_text=_("Placeholders: {year}, {number}."),
    )
    quote_number_format = models.CharField(
        _("quote number format"),
        max_length=64,
        default="Q-{year}-{number:05d}",
        validators=[validate_number_format],
        help_text=_("Placeholders: {year}, {number}."),
    )
    quote_validity_days = models.PositiveSmallIntegerField(
        _("quotes are valid for (days)"), default=30, validators=[MinValueValidator(1)]
    )
    quote_signature_required = models.BooleanField(
        _("approving a quote needs the approver's typed name as signature"), default=False
    )
    quote_link_approval = models.BooleanField(
        _("quotes may be approved from their e-mailed link without logging in"),
        # Off unless the business opts in: whoever holds the link approves, without the role
        # check a login gives (only contacts who may commit money approve in the portal).
        default=False,
        help_text=_("Otherwise the link shows the quote and asks the customer to log in."),
    )
    number_reset_yearly = models.BooleanField(
        _("numbers start again at 1 each year"),
        default=True,
        help_text=_("Only when the format contains {year}; otherwise numbering never restarts."),
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=14, validators=[MinValueValidator(0)]
    )
    # What an invoice says about paying late or early. French B2B invoices must state all of it
    # (Code de commerce art. L441-9, L441-10); elsewhere it is printed when filled in.
    late_payment_interest_rate = models.DecimalField(
        _("late-payment interest rate (% per year)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_(
            "Empty: French invoices state the legal rate, the European Central Bank's "
            "refinancing rate plus 10 percentage points."
        ),
    )
    late_payment_interest_note = models.CharField(
        _("late-payment interest, in words"),
        max_length=200,
        blank=True,
        help_text=_("Printed after the rate, or instead of it, e.g. three times the legal rate."),
    )
    early_payment_discount = models.CharField(
        _("early-payment discount terms"),
        max_length=300,
        blank=True,
        help_text=_(
            "E.g. 2 % discount for payment within 8 days. Empty: French invoices say that no "
            "discount is granted for early payment."
        ),
    )
    operation_category = models.CharField(
        _("what you invoice"),
        max_length=10,
        choices=OperationCategory.choices,
        blank=True,
        help_text=_("French invoices name the category of the operation."),
    )
    vat_on_debits = models.BooleanField(
        _("VAT paid on debits"),
        default=False,
        help_text=_(
            "France: you opted to pay the VAT on services when invoiced rather than when paid; "
            "invoices must say so."
        ),
    )
    small_business_exemption = models.CharField(
        _("small-business VAT exemption"),
        max_length=16,
        choices=SmallBusinessExemption.choices,
        blank=True,
        default=SmallBusinessExemption.NONE,
        help_text=_(
            "When set, no invoice charges VAT, whatever the customer's VAT regime, and each "
            "says why."
        ),
    )

    # Subscriptions
    proration_policy = models.CharField(
        _("upgrades take effect"),
        max_length=16,
        choices=[
            ("immediate", _("at once, the rest of the period charged pro rata")),
            ("period_end", _("at the end of the current period")),
        ],
        default="immediate",
    )
    # Credits: below this balance the customer and the business are e-mailed (and a customer's
    # automatic top-up starts). Empty: no alerts. At least 1, since a balance is never below 0.
    low_balance_threshold = models.PositiveIntegerField(
        _("low-balance alert below (credits)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "When a customer's credit balance falls below this, the customer and your "
            "notification addresses are e-mailed once. Empty: no alerts."
        ),
    )

    link_validity_days = models.PositiveSmallIntegerField(
        _("e-mailed links stay valid for (days)"),
        default=60,
        validators=[MinValueValidator(1)],
    )
    reminder_days = models.JSONField(
        _("payment reminders (days from the due date)"),
        default=default_reminder_days,
        blank=True,
        validators=[validate_reminder_days],
        help_text=_("Negative: before the due date, e.g. [-3, 3, 10, 20]. Empty: no reminders."),
    )
    # Where the business is told about purchases, cancellations and quote requests; read both
    # through `notification_emails`.
    notification_email = models.EmailField(
        _("general notification address"),
        blank=True,
        help_text=_("Where the business is told about purchases and cancellations."),
    )
    notification_cc_emails = models.JSONField(
        _("CC addresses"),
        default=list,
        blank=True,
        validators=[validate_email_list],
        help_text=_("Also told about purchases and cancellations, each in a message of its own."),
    )

    # Licence: set by the platform operator, not by the business (core/licence.py)
    licence_modules = models.JSONField(
        _("licence modules"), default=default_licence_modules, blank=True
    )

    # Access
    self_registration_enabled = models.BooleanField(
        _("customers may register themselves"), default=False
    )
    staff_mfa_required = models.BooleanField(
        _("staff must use two-factor authentication"), default=False
    )

    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("business")
        verbose_name_plural = _("businesses")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.country = self.country.strip().upper()
        self.vat_id = normalize_vat_id(self.vat_id)
        self.iban = normalize_iban(self.iban)
        self.bic = self.bic.replace(" ", "").upper()
        self.share_capital_currency = self.share_capital_currency.upper()
        self.clean_legal_identity(self.country)
        self.clean_number_formats()
        self.clean_small_business_exemption()

    def clean_small_business_exemption(self) -> None:
        required = SMALL_BUSINESS_COUNTRY.get(self.small_business_exemption)
        if required and self.country != required:
            raise ValidationError(
                {
                    "small_business_exemption": _(
                        "This exemption is for businesses established in %(country)s: set the "
                        "country of your address first."
                    )
                    % {"country": required}
                },
                code="small_business_country",
            )
        if required and not (self.vat_id or self.tax_id):
            # EN 16931 BR-E-02: an exempt invoice names the seller's VAT number or tax number.
            raise ValidationError(
                {
                    "tax_id": _(
                        "With a small-business exemption, enter your tax number (or a VAT "
                        "number): e-invoices must name one."
                    )
                },
                code="small_business_tax_id",
            )

    def clean_number_formats(self) -> None:
        """A credit note's, a test document's or a receipt's number must never read like an
        invoice's, nor like each other's: two documents with one number are one too many for an
        auditor (and for a buyer's bookkeeping)."""
        formats = {
            "invoice_number_format": self.invoice_number_format,
            "credit_note_number_format": self.credit_note_number_format,
            "test_number_format": self.test_number_format,
            "receipt_number_format": self.receipt_number_format,
        }
        try:
            for pattern in formats.values():
                validate_number_format(pattern)
        except ValidationError:
            return  # each field's own validator says what is wrong with it
        errors = {}
        if number_formats_may_collide(self.invoice_number_format, self.credit_note_number_format):
            errors["credit_note_number_format"] = _(
                "Credit note numbers in this format could equal an invoice number: give "
                "them a text of their own, e.g. CN-{year}-{number:06d}."
            )
        # A test document's number must never read like a legal one (nor take its place).
        if any(
            number_formats_may_collide(self.test_number_format, legal)
            for legal in (self.invoice_number_format, self.credit_note_number_format)
        ):
            errors["test_number_format"] = _(
                "Test document numbers in this format could equal an invoice or credit note "
                "number: give them a text of their own, e.g. TEST-{year}-{number:05d}."
            )
        if number_formats_may_collide(self.invoice_number_format, self.receipt_number_format):
            errors["receipt_number_format"] = _(
                "Receipt numbers in this format could equal an invoice number: give them a "
                "text of their own, e.g. R-{year}-{number:05d}."
            )
        elif number_formats_may_collide(self.credit_note_number_format, self.receipt_number_format):
            errors["receipt_number_format"] = _(
                "Receipt numbers in this format could equal a credit note number: give them a "
                "text of their own, e.g. R-{year}-{number:05d}."
            )
        if errors:
            raise ValidationError(errors, code="number_collision")

    @property
    def notification_emails(self) -> list[str]:
        """Every notification address: the general one first, then the CC addresses, each once
        (addresses compare case-insensitively)."""
        addresses: list[str] = []
        seen: set[str] = set()
        for address in [self.notification_email, *self.notification_cc_emails]:
            if address and address.lower() not in seen:
                seen.add(address.lower())
                addresses.append(address)
        return addresses

    @property
    def address_lines(self) -> list[str]:
        """The postal address, one line each: street lines, then postcode and city."""
        city = " ".join(p for p in (self.postal_code, self.city) if p)
        return [line for line in (self.address_line_1, self.address_line_2, city) if line]


class Domain(models.Model):
    """A custom host name under which a tenant's portal is served (besides <slug>.<base>)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="domains", verbose_name=_("business")
    )
    host = models.CharField(
        _("host name"),
        max_length=253,
        # A host can only ever point at one tenant; the lookup relies on it.
        unique=True,
        help_text=_("For example billing.example.com, without port or scheme."),
    )

    class Meta:
        verbose_name = _("custom domain")
        verbose_name_plural = _("custom domains")
        ordering = ["host"]
        constraints = [
            # Requests are looked up by their lower-cased host; a mixed-case row would never match.
            models.CheckConstraint(
                condition=models.Q(host=Lower("host")), name="domain_host_lower"
            ),
        ]

    def __str__(self) -> str:
        return self.host

    def clean(self) -> None:
        self.host = normalize_host(self.host)
