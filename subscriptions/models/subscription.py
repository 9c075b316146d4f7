"""What a customer has bought: subscriptions, their options, and charges waiting for an invoice."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contracts.models import Customer
from core.models import Tenant
from core.models.translated import pick_text
from subscriptions.models.catalogue import Option, Tariff
from subscriptions.models.discounts import DiscountCode, DiscountKind
from subscriptions.periods import Period, period_containing


class SubscriptionStatus(models.TextChoices):
    # Ordered at a checkout, its first invoice not paid yet: not billed, not changeable. Paid,
    # it becomes active; never paid, its checkout expires and it ends (billing.ordering).
    PENDING = "pending", _("Awaiting the first payment")
    ACTIVE = "active", _("Active")
    SCHEDULED_CHANGE = "scheduled_change", _("Tariff change scheduled")
    SCHEDULED_END = "scheduled_end", _("Cancelled, runs until its end date")
    # Renewals could not be paid (the business's dunning policy): not billed until resumed.
    SUSPENDED = "suspended", _("Suspended for non-payment")
    ENDED = "ended", _("Ended")


# Which status may follow which; services move along these edges only (under a row lock).
SUBSCRIPTION_TRANSITIONS: dict[str, set[str]] = {
    SubscriptionStatus.PENDING: {SubscriptionStatus.ACTIVE, SubscriptionStatus.ENDED},
    SubscriptionStatus.ACTIVE: {
        SubscriptionStatus.SCHEDULED_CHANGE,
        SubscriptionStatus.SCHEDULED_END,
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.SUSPENDED,
    },
    SubscriptionStatus.SUSPENDED: {
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.SCHEDULED_CHANGE,
        SubscriptionStatus.SCHEDULED_END,
        SubscriptionStatus.ENDED,
    },
    SubscriptionStatus.SCHEDULED_CHANGE: {
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.SCHEDULED_CHANGE,  # the change revised before it takes effect
        SubscriptionStatus.SCHEDULED_END,
        SubscriptionStatus.SUSPENDED,
    },
    SubscriptionStatus.SCHEDULED_END: {
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.ENDED,
        SubscriptionStatus.SCHEDULED_END,
        SubscriptionStatus.SUSPENDED,
    },
    SubscriptionStatus.ENDED: set(),
}


class SubscriptionQuerySet(models.QuerySet):
    def running(self) -> SubscriptionQuerySet:
        return self.exclude(status=SubscriptionStatus.ENDED)


def price_item(description: str, unit_price, translations: dict) -> dict:
    """One snapshotted price item; its translations only where there are any."""
    item = {"description": description, "unit_price": str(unit_price)}
    if translations:
        item["translations"] = translations
    return item


def price_item_text(item: dict, language: str | None) -> str:
    """A snapshotted price item's description in `language`, falling back like the catalogue
    (core.models.translated.pick_text)."""
    return pick_text(
        item.get("description", ""), item.get("translations") or {}, "description", language
    )


class Subscription(models.Model):
    """A module ordered under a customer's contract, on a tariff.

    The tariff's prices and terms are copied when it is ordered (`price_items`, interval,
    minimum term, notice periods): later catalogue edits never change a running contract.
    `remaining_cycles` limits how many periods are billed — a hand-written recurring invoice is
    a subscription with its own lines and a number of cycles.
    """

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("business")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("customer")
    )
    tariff = models.ForeignKey(
        Tariff, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("tariff")
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.ACTIVE,
    )
    suspended_from = models.CharField(max_length=20, blank=True, editable=False)
    quantity = models.PositiveIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1)]
    )
    started_on = models.DateField(_("start date"))
    # Billing periods and the minimum term run from here: the start date, or the day a tariff
    # with another interval took over (monthly → yearly starts a new yearly rhythm).
    anchor_on = models.DateField(_("periods start from"))
    # Snapshot of the tariff when ordered (or last changed).
    currency = models.CharField(_("currency"), max_length=3)
    # [{"description", "unit_price", "translations": {"fr": {"description": …}, …}}]: the
    # description in the business's language and, snapshotted with it, the tariff's others
    # (`price_item_text`). Snapshots taken before translations existed have none.
    price_items = models.JSONField(_("prices"), default=list)
    interval_months = models.PositiveSmallIntegerField(_("billed every (months)"))
    minimum_term_months = models.PositiveSmallIntegerField(_("minimum term (months)"))
    notice_period_days = models.PositiveSmallIntegerField(_("notice period (days)"))
    change_notice_days = models.PositiveSmallIntegerField(_("tariff change notice (days)"))
    # Billing
    next_invoice_on = models.DateField(_("next invoice"), null=True, blank=True)
    remaining_cycles = models.PositiveIntegerField(
        _("remaining cycles"), null=True, blank=True, help_text=_("Empty: until cancelled.")
    )
    # Scheduled change and end
    scheduled_tariff = models.ForeignKey(
        Tariff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("next tariff"),
    )
    change_on = models.DateField(_("tariff changes on"), null=True, blank=True)
    ends_on = models.DateField(_("last day"), null=True, blank=True)
    cancellation_reason = models.TextField(_("reason for cancelling"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The module's own fields: key -> value, written only by subscriptions.module_data (see
    # subscriptions/models/fields.py for why a JSON object and how each kind is kept).
    module_data = models.JSONField(_("module data"), default=dict, blank=True, editable=False)
    # The discount code redeemed at the order, copied (see DiscountCode): the billing run adds a
    # discount line to each invoice while `discount_periods_left` is empty (for ever) or above 0.
    discount_code = models.ForeignKey(
        DiscountCode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subscriptions",
        verbose_name=_("discount code"),
    )
    discount_kind = models.CharField(
        _("discount kind"), max_length=10, choices=DiscountKind.choices, blank=True
    )
    discount_value = models.DecimalField(
        _("discount"), max_digits=19, decimal_places=4, null=True, blank=True
    )
    discount_periods_left = models.PositiveSmallIntegerField(
        _("discounted periods left"), null=True, blank=True
    )
    # When the code's use was counted (subscriptions.discounts.discount_code_redeem); emptied
    # when it is given back. The marker that makes redeeming and releasing safe to repeat:
    # a checkout may copy the discount on (discount_apply) before the use is counted.
    discount_redeemed_at = models.DateTimeField(
        _("discount redeemed"), null=True, blank=True, editable=False
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-started_on", "-id"]
        indexes = [
            models.Index(fields=["tenant", "status", "next_invoice_on"], name="subscription_due"),
            # The billing run's batches, each after the last subscription it took
            # (billing.run.services): a seek in id order within the business.
            models.Index(fields=["tenant", "id"], name="subscription_run_seek"),
        ]
        constraints = [
            # A scheduled change names both the tariff and the day; an end has a day.
            models.CheckConstraint(
                condition=models.Q(scheduled_tariff__isnull=True, change_on__isnull=True)
                | models.Q(scheduled_tariff__isnull=False, change_on__isnull=False),
                name="subscription_change_complete",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="scheduled_end", ends_on__isnull=True),
                name="subscription_end_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer.name}: {self.tariff}"

    @property
    def localized_price_items(self) -> list[dict]:
        """`price_items` with each description in the active language (pages)."""
        language = translation.get_language()
        return [
            {**item, "description": price_item_text(item, language)} for item in self.price_items
        ]

    def current_period(self, today) -> Period:
        return period_containing(self.anchor_on, self.interval_months, today)

    @property
    def is_changeable(self) -> bool:
        """May its tariff still be changed or the subscription cancelled?"""
        return self.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.SCHEDULED_CHANGE)


class SubscriptionOption(models.Model):
    """An add-on booked on a subscription, with its price at the time it was added."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="options",
        verbose_name=_("subscription"),
    )
    option = models.ForeignKey(
        Option, on_delete=models.PROTECT, related_name="+", verbose_name=_("add-on option")
    )
    quantity = models.PositiveIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1)]
    )
    unit_price = models.DecimalField(_("price per month"), max_digits=19, decimal_places=4)
    added_on = models.DateField(_("added on"))

    class Meta:
        verbose_name = _("booked option")
        verbose_name_plural = _("booked options")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "option"], name="subscription_option_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.option} × {self.quantity}"


class PendingCharge(models.Model):
    """A one-off amount to put on the customer's next invoice (e.g. a prorated upgrade); the
    billing run picks it up and marks it invoiced."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="pending_charges"
    )
    description = models.CharField(_("description"), max_length=300)
    amount = models.DecimalField(_("amount"), max_digits=19, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    service_start = models.DateField(_("service from"))
    service_end = models.DateField(_("service until"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    invoiced_at = models.DateTimeField(_("invoiced"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending charge")
        verbose_name_plural = _("pending charges")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount} {self.currency}"


class SubscriptionEvent(models.Model):
    """Every status move of a subscription, with who made it (the audit log has the details)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=40)
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When its confirmation e-mails went out (set once, under the row lock: a task that runs
    # twice sends nothing the second time). Empty for events that confirm nothing.
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.from_status} → {self.to_status}"


class CancellationRequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", pgettext_lazy("cancellation request", "Approved")
    REFUSED = "refused", pgettext_lazy("cancellation request", "Refused")
    WITHDRAWN = "withdrawn", pgettext_lazy("cancellation request", "Withdrawn")


class CancellationRequest(models.Model):
    """A customer's cancellation that waits for staff (the tariff says it needs approval).

    A row of its own rather than a subscription status: while it waits, the subscription keeps
    running exactly as before (billed, a tariff change still scheduled), so its status and
    SUBSCRIPTION_TRANSITIONS stay untouched; approving it is an ordinary cancellation
    (→ scheduled_end). Refused and withdrawn requests stay as history, with the reason shown
    to the customer."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="cancellation_requests",
        verbose_name=_("subscription"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CancellationRequestStatus.choices,
        default=CancellationRequestStatus.PENDING,
    )
    # The last day asked for: the earliest the terms allowed on the day of the request.
    ends_on = models.DateField(_("last day asked for"))
    reason = models.TextField(_("reason for cancelling"))
    refusal_reason = models.TextField(_("reason for refusing"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cancellation request")
        verbose_name_plural = _("cancellation requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open request per subscription: a second click must not queue another.
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(status="pending"),
                name="cancellation_request_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription}: {self.get_status_display()}"
