"""How a business takes money: its gateway settings, the customers' saved payment methods (gateway
tokens only, never card numbers) and every attempt to charge one."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.documents.models.invoice import Invoice
from billing.payments.models.nestpay import (
    NestPayBank,
    NestPayMode,
    NestPayStoreType,
    default_nestpay_currencies,
    validate_installment_counts,
    validate_nestpay_currencies,
)
from billing.payments.models.payment import Payment
from contracts.models import Customer
from core.fields import EncryptedTextField
from core.models import Tenant


class Gateway(models.TextChoices):
    MANUAL = "manual", _("Bank transfer")
    STRIPE = "stripe", "Stripe"
    NESTPAY = "nestpay", _("NestPay (Turkish bank virtual POS)")


class DunningFinalAction(models.TextChoices):
    UNCOLLECTIBLE = "uncollectible", _("Mark the invoice uncollectible")
    SUSPEND = "suspend", _("Suspend the subscription")
    LEAVE_OPEN = "leave_open", _("Leave the invoice open")


def default_retry_days() -> list[int]:
    return [1, 3, 5, 7]


def validate_retry_days(value) -> None:
    """Days after the first failed charge, rising: [1, 3, 5, 7]."""
    if (
        not isinstance(value, list)
        or len(value) > 10
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 60 for d in value)
        or value != sorted(set(value))
    ):
        raise ValidationError(
            _("Enter up to 10 rising whole numbers of days between 1 and 60, e.g. [1, 3, 5, 7].")
        )


class PaymentSettings(models.Model):
    """One per business; the Stripe keys are stored encrypted and never shown back in full."""

    tenant = models.OneToOneField(Tenant, on_delete=models.PROTECT, related_name="payment_settings")
    gateway = models.CharField(
        _("payment gateway"), max_length=16, choices=Gateway.choices, default=Gateway.MANUAL
    )
    stripe_publishable_key = models.CharField(
        _("Stripe publishable key"), max_length=255, blank=True
    )
    stripe_secret_key = EncryptedTextField(_("Stripe secret key"), blank=True)
    stripe_webhook_secret = EncryptedTextField(_("Stripe webhook signing secret"), blank=True)
    nestpay_bank = models.CharField(
        _("NestPay bank"), max_length=16, choices=NestPayBank.choices, blank=True
    )
    nestpay_mode = models.CharField(
        _("NestPay mode"), max_length=16, choices=NestPayMode.choices, default=NestPayMode.TEST
    )
    nestpay_gate_url = models.URLField(
        _("NestPay 3-D gate address (override)"),
        blank=True,
        help_text=_("Leave blank to use the bank's address for the mode."),
    )
    nestpay_api_url = models.URLField(
        _("NestPay API address (override)"),
        blank=True,
        help_text=_("Leave blank to use the bank's address for the mode."),
    )
    nestpay_client_id = models.CharField(
        _("NestPay client id (merchant number)"), max_length=64, blank=True
    )
    nestpay_store_key = EncryptedTextField(_("NestPay store key"), blank=True)
    nestpay_api_user = models.CharField(_("NestPay API user"), max_length=64, blank=True)
    nestpay_api_password = EncryptedTextField(_("NestPay API password"), blank=True)
    nestpay_store_type = models.CharField(
        _("NestPay store type"),
        max_length=16,
        choices=NestPayStoreType.choices,
        default=NestPayStoreType.PAY_3D_HOSTING,
    )
    nestpay_currencies = models.JSONField(
        _("NestPay currencies accepted"),
        default=default_nestpay_currencies,
        validators=[validate_nestpay_currencies],
    )
    nestpay_installments = models.JSONField(
        _("installment counts offered"),
        default=list,
        blank=True,
        validators=[validate_installment_counts],
    )
    nestpay_installments_min_amount = models.DecimalField(
        _("installments offered from (amount)"),
        max_digits=19,
        decimal_places=2,
        null=True,
        blank=True,
    )
    nestpay_installments_min_currency = models.CharField(
        _("installments offered from (currency)"), max_length=3, default="TRY"
    )
    partial_payments_allowed = models.BooleanField(
        _("customers may pay part of an invoice"), default=False
    )
    retry_days = models.JSONField(
        _("retry a failed renewal charge after (days)"),
        default=default_retry_days,
        blank=True,
        validators=[validate_retry_days],
    )
    final_action = models.CharField(
        _("when the last retry fails"),
        max_length=16,
        choices=DunningFinalAction.choices,
        default=DunningFinalAction.UNCOLLECTIBLE,
    )

    class Meta:
        verbose_name = _("payment settings")
        verbose_name_plural = _("payment settings")

    def __str__(self) -> str:
        return f"{self.tenant}: {self.get_gateway_display()}"

    @property
    def takes_cards(self) -> bool:
        return self.gateway == Gateway.STRIPE and bool(
            self.stripe_secret_key and self.stripe_publishable_key
        )


class GatewayCustomer(models.Model):
    """The customer's record at the gateway (Stripe's cus_…), created on first use."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    gateway = models.CharField(max_length=16, choices=Gateway.choices)
    external_id = models.CharField(max_length=255)
    # Cards saved so far: keys the next card setup, so a reloaded "add a card" page reuses the
    # same SetupIntent instead of opening a new one each time.
    cards_saved = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "gateway"], name="gatewaycustomer_one_per_gateway"
            )
        ]

    def __str__(self) -> str:
        return self.external_id


class PaymentMethod(models.Model):
    """A saved card: the gateway's token plus what the customer needs to recognise it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="payment_methods",
        verbose_name=_("customer"),
    )
    gateway = models.CharField(max_length=16, choices=Gateway.choices, default=Gateway.STRIPE)
    token = models.CharField(_("gateway token"), max_length=255)
    brand = models.CharField(_("brand"), max_length=32)
    last4 = models.CharField(_("last four digits"), max_length=4)
    exp_month = models.PositiveSmallIntegerField(_("expiry month"))
    exp_year = models.PositiveSmallIntegerField(_("expiry year"))
    is_default = models.BooleanField(_("default"), default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    expiry_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the gateway last told us about this card (webhooks may arrive out of order).
    details_as_of = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("payment method")
        verbose_name_plural = _("payment methods")
        ordering = ["-is_default", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "token"], name="paymentmethod_token_once"),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_default=True),
                name="paymentmethod_one_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand.title()} •••• {self.last4} ({self.exp_month:02d}/{self.exp_year})"


class AttemptStatus(models.TextChoices):
    PROCESSING = "processing", _("Processing")
    REQUIRES_ACTION = "requires_action", _("Needs your confirmation")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


# What the gateway may still tell us about an attempt. A success is final; a failure can only
# turn out a (late) success; older news (a stale event) is ignored.
ATTEMPT_TRANSITIONS: dict[str, set[str]] = {
    AttemptStatus.PROCESSING: {
        AttemptStatus.PROCESSING,
        AttemptStatus.REQUIRES_ACTION,
        AttemptStatus.SUCCEEDED,
        AttemptStatus.FAILED,
    },
    AttemptStatus.REQUIRES_ACTION: {
        AttemptStatus.REQUIRES_ACTION,
        AttemptStatus.PROCESSING,
        AttemptStatus.SUCCEEDED,
        AttemptStatus.FAILED,
    },
    AttemptStatus.FAILED: {AttemptStatus.FAILED, AttemptStatus.SUCCEEDED},
    AttemptStatus.SUCCEEDED: set(),
}


class PaymentAttempt(models.Model):
    """One try at charging a card for an invoice (a Stripe PaymentIntent). Numbered per invoice,
    which makes the gateway idempotency key deterministic: (tenant, invoice, attempt)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payment_attempts")
    number = models.PositiveSmallIntegerField()
    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    amount = models.DecimalField(max_digits=19, decimal_places=2)
    currency = models.CharField(max_length=3)
    off_session = models.BooleanField(default=False)
    intent_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.PROCESSING
    )
    failure_message = models.CharField(max_length=500, blank=True)
    # Set, under the invoice's row lock, by the request about to send this attempt to the
    # gateway; cleared when the gateway's answer (or its silence) is recorded. While it is
    # set, no other request sends anything for the invoice: one attempt in flight per invoice.
    charging_since = models.DateTimeField(null=True, blank=True)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="attempt"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "number"], name="attempt_number_once"),
        ]
        indexes = [models.Index(fields=["tenant", "intent_id"])]

    def __str__(self) -> str:
        return f"{self.invoice} #{self.number}: {self.status}"

    @property
    def idempotency_key(self) -> str:
        return f"kontor-{self.tenant_id}-invoice-{self.invoice_id}-attempt-{self.number}"


class GatewayEvent(models.Model):
    """A webhook event (or one fetched by the reconciliation), stored once by its id and then
    processed by a worker; duplicates and late arrivals find it already there."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    created = models.DateTimeField(help_text="when the gateway created it")
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "event_id"], name="gateway_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
