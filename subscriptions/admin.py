"""Back office for the catalogue and subscriptions. Catalogue edits: Manager and up (paid
support's packages and departments: Billing and up, in admin_packages). Ordering, changing and
cancelling on a customer's behalf: Billing and up, at the dates the terms allow; another end
date and add-on options: Manager and up. Writes go through the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contracts.models import Customer
from core.admin_base import CreatedByServiceAdmin, TenantScopedAdmin, TenantScopedInline
from core.admin_translations import TranslatedTextsAdmin, TranslatedTextsInline, translated_form
from core.licence import LicenceModule

# Registers DiscountCodeAdmin and the paid-support pages (departments, packages, purchased
# packages): the admin's autodiscovery imports admin.py only.
from subscriptions import (
    admin_discounts,  # noqa: F401
    admin_packages,  # noqa: F401
)
from subscriptions.admin_module_data import ModuleDataAdminMixin, ModuleFieldInline
from subscriptions.credits import credits_adjust, credits_check, credits_use
from subscriptions.discounts import discount_summary
from subscriptions.models import (
    CREDITS_MAX,
    CreditLedgerEntry,
    DeliveryStage,
    LedgerKind,
    Module,
    Option,
    Order,
    StageTemplate,
    Subscription,
    SubscriptionOption,
    Tariff,
    TariffPrice,
)
from subscriptions.orders import (
    ORDER_EDITABLE,
    order_advance,
    order_create,
    order_price_check,
    order_update,
)
from subscriptions.services import (
    account_close,
    cancellation_end_check,
    cancellation_request_approve,
    cancellation_request_refuse,
    customer_contract_start,
    subscription_cancel,
    subscription_cancellation_pending,
    subscription_change_tariff,
    subscription_option_add,
    subscription_option_check,
    subscription_option_remove,
    subscription_order,
    subscription_undo_cancel,
    subscription_undo_change,
    tariff_change_targets,
)


class CatalogueAdmin(TenantScopedAdmin):
    view_action = "catalogue.view"
    add_action = change_action = delete_action = "catalogue.manage"


@admin.register(Module)
class ModuleAdmin(TranslatedTextsAdmin, CatalogueAdmin):
    audit_name = "module"
    form = translated_form(Module)
    list_display = ["name", "is_active"]
    search_fields = ["name"]
    fields = ["tenant", "name", "description", "image", "is_active"]
    inlines = [ModuleFieldInline]


@admin.register(Option)
class OptionAdmin(TranslatedTextsAdmin, CatalogueAdmin):
    audit_name = "option"
    form = translated_form(Option)
    list_display = ["name", "unit_price", "currency"]
    search_fields = ["name"]
    fields = ["tenant", "name", "description", "unit_price", "currency"]


class TariffPriceInline(TranslatedTextsInline, TenantScopedInline):
    model = TariffPrice
    form = translated_form(TariffPrice, compact=True)
    fields = ["description", "unit_price", "position"]
    extra = 0
    view_action = "catalogue.view"
    add_action = change_action = delete_action = "catalogue.manage"


@admin.register(Tariff)
class TariffAdmin(TranslatedTextsAdmin, CatalogueAdmin):
    audit_name = "tariff"
    form = translated_form(Tariff)
    list_display = [
        "__str__",
        "currency",
        "interval_months",
        "minimum_term_months",
        "notice_period_days",
        "is_active",
    ]
    list_filter = ["module", "is_active"]
    list_select_related = ["module"]
    search_fields = ["name", "module__name"]
    filter_horizontal = ["allowed_changes", "options"]
    inlines = [TariffPriceInline]
    fieldsets = [
        (None, {"fields": ["tenant", "module", "name", "currency", "is_active", "position"]}),
        (
            _("Terms"),
            {
                "fields": [
                    "interval_months",
                    "minimum_term_months",
                    "notice_period_days",
                    "change_notice_days",
                ]
            },
        ),
        (_("Changes and add-ons"), {"fields": ["allowed_changes", "options"]}),
        (
            _("In the customer portal"),
            {
                "fields": [
                    "portal_may_change",
                    "portal_may_cancel",
                    "cancellation_needs_approval",
                ]
            },
        ),
    ]


class SubscriptionOptionFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            # Only rows being booked or changed are checked. Rows shown read-only (Billing staff)
            # carry their initial data as cleaned_data, where "option" is an id, not an Option;
            # the admin saves nothing from them.
            if not form.has_changed() or not hasattr(form, "cleaned_data"):
                continue
            option = form.cleaned_data.get("option")
            if not isinstance(option, Option) or form.cleaned_data.get("DELETE"):
                continue
            try:
                subscription_option_check(subscription=self.instance, option=option)
            except ValidationError as exc:
                form.add_error("option", exc)


class SubscriptionOptionInline(TenantScopedInline):
    """Add-on options booked on the subscription (Manager and up), priced from the catalogue."""

    model = SubscriptionOption
    formset = SubscriptionOptionFormSet
    fields = ["option", "quantity", "unit_price", "added_on"]
    readonly_fields = ["unit_price", "added_on"]
    extra = 0
    view_action = "subscription.view"
    add_action = change_action = delete_action = "subscription.option.manage"


class SubscriptionAddForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = ["customer", "tariff", "started_on", "quantity", "remaining_cycles"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "tariff" in self.fields:  # only tariffs on sale can be ordered
            self.fields["tariff"].queryset = self.fields["tariff"].queryset.filter(is_active=True)

    def clean(self):
        data = super().clean()
        customer = data.get("customer")
        if customer is not None and customer.closed_at is not None:
            self.add_error("customer", _("This customer's account is closed."))
        return data


class SubscriptionChangeForm(forms.ModelForm):
    cancel_on = forms.DateField(
        label=_("Cancel: last day"),
        required=False,
        help_text=_(
            "Leave empty to keep it running. Billing staff get the earliest date the "
            "terms allow; Managers may choose any date from today."
        ),
    )
    cancellation_note = forms.CharField(
        label=_("Reason for cancelling"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    change_to = forms.ModelChoiceField(
        label=_("Change tariff to"),
        required=False,
        queryset=Tariff.objects.none(),
        help_text=_(
            "At once for an upgrade where the business prorates, else at the earliest "
            "period start the notice allows."
        ),
    )
    cancellation_request = forms.ChoiceField(
        label=_("Decide the request"),
        required=False,
        choices=[
            ("", "—"),
            ("approve", pgettext_lazy("cancellation request", "Approve")),
            ("refuse", pgettext_lazy("cancellation request", "Refuse")),
        ],
        help_text=_(
            "Approving schedules the end on the day the customer asked for, or the earliest "
            "day the terms allow now."
        ),
    )
    refusal_reason = forms.CharField(
        label=_("Reason for refusing"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The customer reads it."),
    )
    withdraw = forms.ChoiceField(
        label=_("Withdraw"),
        required=False,
        choices=[
            ("", "—"),
            ("cancellation", _("the cancellation")),
            ("change", _("the scheduled tariff change")),
        ],
    )

    class Meta:
        model = Subscription
        fields: list[str] = []

    def __init__(self, *args, request: HttpRequest | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        if self.instance.pk:
            self.fields["change_to"].queryset = tariff_change_targets(self.instance)

    def clean(self):
        data = super().clean()
        chosen = [
            bool(data.get("cancel_on")),
            bool(data.get("change_to")),
            bool(data.get("withdraw")),
            bool(data.get("cancellation_request")),
        ]
        if sum(chosen) > 1:
            raise ValidationError(_("Do one thing at a time: cancel, change or withdraw."))
        subscription = self.instance
        decision = data.get("cancellation_request")
        if decision and subscription_cancellation_pending(subscription) is None:
            self.add_error("cancellation_request", _("There is no cancellation request waiting."))
        if decision == "approve" and not subscription.is_changeable:
            self.add_error(
                "cancellation_request",
                _("This subscription is already cancelled or ended."),
            )
        if decision == "refuse" and not data.get("refusal_reason", "").strip():
            self.add_error(
                "refusal_reason", _("Please tell the customer why the request is refused.")
            )
        if data.get("withdraw") == "cancellation" and subscription.status != "scheduled_end":
            self.add_error("withdraw", _("There is no cancellation to undo."))
        if data.get("withdraw") == "change" and subscription.status != "scheduled_change":
            self.add_error("withdraw", _("There is no tariff change to withdraw."))
        if data.get("change_to") and not subscription.is_changeable:
            self.add_error("change_to", _("This subscription's tariff cannot be changed any more."))
        cancel_on = data.get("cancel_on")
        if cancel_on is None:
            return data
        if not data.get("cancellation_note", "").strip():
            self.add_error("cancellation_note", _("Please give the customer's reason."))
        try:
            cancellation_end_check(
                subscription=self.instance,
                actor=self.request.user,
                today=timezone.localdate(),
                ends_on=cancel_on,
            )
        except ValidationError as exc:
            self.add_error("cancel_on", exc)
        return data


# Registered on the top floor (portal/admin.py), with what higher apps add.
class SubscriptionAdmin(ModuleDataAdminMixin, CreatedByServiceAdmin):
    view_action = "subscription.view"
    add_action = change_action = "subscription.manage"
    audit_name = "subscription"
    list_display = [
        "customer",
        "tariff",
        "status",
        "quantity",
        "started_on",
        "next_invoice_on",
        "ends_on",
    ]
    list_filter = ["status", "tariff__module"]
    list_select_related = ["customer", "tariff__module", "tenant"]
    search_fields = ["customer__name", "customer__number", "tariff__name", "tariff__module__name"]
    autocomplete_fields = ["customer"]
    inlines = [SubscriptionOptionInline]
    readonly_fields = [
        "customer",
        "tariff",
        "status",
        "quantity",
        "started_on",
        "currency",
        "price_items",
        "interval_months",
        "minimum_term_months",
        "notice_period_days",
        "change_notice_days",
        "next_invoice_on",
        "remaining_cycles",
        "discount",
        "scheduled_tariff",
        "change_on",
        "ends_on",
        "cancellation_reason",
        "cancelled_at",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [*self.readonly_fields, "pending_cancellation"] if obj is not None else []

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ["customer", "tariff", "started_on", "quantity", "remaining_cycles"]
        fields = [*self.readonly_fields, "change_to", "withdraw", "cancel_on", "cancellation_note"]
        if subscription_cancellation_pending(obj) is not None:
            fields = ["pending_cancellation", "cancellation_request", "refusal_reason", *fields]
        return fields

    @admin.display(description=_("Discount"))
    def discount(self, subscription: Subscription) -> str:
        return discount_summary(subscription) or "—"

    @admin.display(description=_("Cancellation request waiting"))
    def pending_cancellation(self, subscription: Subscription) -> str:
        request = subscription_cancellation_pending(subscription)
        if request is None:
            return "—"
        return _("Sent on %(since)s, asking for %(date)s as the last day. Reason: %(reason)s") % {
            "since": date_format(timezone.localtime(request.created_at)),
            "date": date_format(request.ends_on),
            "reason": request.reason,
        }

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        kwargs["form"] = SubscriptionAddForm if obj is None else SubscriptionChangeForm
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form

        class WithRequest(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, request=request, **kw)

        return WithRequest

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # subscriptions are cancelled, never deleted: invoices point at them

    def create(self, request: HttpRequest, data: dict) -> Subscription:
        return subscription_order(
            customer=data["customer"],
            tariff=data["tariff"],
            actor=request.user,
            start_on=data["started_on"],
            quantity=data["quantity"],
            remaining_cycles=data.get("remaining_cycles"),
        )

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            return
        try:
            self._apply(request, obj, form.cleaned_data)
        except ValidationError as exc:
            # Changed meanwhile (the customer withdrew the request, another tab cancelled):
            # the service refuses, and the page says why instead of failing.
            messages.error(request, " ".join(exc.messages))
            request._kontor_refused = True
        obj.refresh_from_db()

    def response_change(self, request, obj):
        if getattr(request, "_kontor_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def _apply(self, request, obj, data) -> None:
        today = timezone.localdate()
        if data.get("cancellation_request") == "approve":
            cancellation_request_approve(subscription=obj, actor=request.user, today=today)
        elif data.get("cancellation_request") == "refuse":
            cancellation_request_refuse(
                subscription=obj, actor=request.user, reason=data["refusal_reason"]
            )
        elif data.get("cancel_on"):
            subscription_cancel(
                subscription=obj,
                actor=request.user,
                today=today,
                reason=data["cancellation_note"],
                ends_on=data["cancel_on"],
            )
        elif data.get("change_to"):
            subscription_change_tariff(
                subscription=obj, target=data["change_to"], actor=request.user, today=today
            )
        elif data.get("withdraw") == "cancellation":
            subscription_undo_cancel(subscription=obj, actor=request.user, today=today)
        elif data.get("withdraw") == "change":
            subscription_undo_change(subscription=obj, actor=request.user)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not SubscriptionOption:
            return super().save_formset(request, form, formset, change)
        # Booked options go through the service: price from the catalogue, audited.
        formset.save(commit=False)
        for booked in formset.deleted_objects:
            subscription_option_remove(
                subscription=form.instance, option=booked.option, actor=request.user
            )
        for booked in formset.new_objects + [obj for obj, _fields in formset.changed_objects]:
            subscription_option_add(
                subscription=form.instance,
                option=booked.option,
                quantity=booked.quantity,
                actor=request.user,
                today=timezone.localdate(),
            )


@admin.register(StageTemplate)
class StageTemplateAdmin(TenantScopedAdmin):
    """The business's usual delivery stages (Received, In progress, Delivered…)."""

    view_action = "order.view"
    add_action = change_action = delete_action = "tenant.change"
    audit_name = "stage_template"
    list_display = ["position", "name"]
    fields = ["tenant", "position", "name"]


class DeliveryStageInline(TenantScopedInline):
    model = DeliveryStage
    fields = ["position", "name", "note", "reached_at"]
    readonly_fields = ["reached_at"]
    extra = 0
    view_action = "order.view"
    add_action = change_action = delete_action = "order.manage"


PRICE_FIELDS = ["amount", "currency", "tax_rate"]


class OrderPriceForm(forms.ModelForm):
    """The price of a one-off order, checked by the same rule as the service's."""

    def clean(self):
        data = super().clean()
        instance = self.instance
        if instance.pk is not None and instance.invoiced_at is not None:
            return data  # invoiced: its price is frozen (the fields are read-only)
        if (
            instance.pk is not None
            and self.changed_data
            and set(self.changed_data) & set(PRICE_FIELDS)
            and Order.objects.filter(pk=instance.pk, invoiced_at__isnull=False).exists()
        ):
            raise ValidationError(_("This order was invoiced meanwhile: its price stays."))
        amount = data.get("amount", instance.amount)
        currency = (data.get("currency") or "").upper()
        tax_rate = data.get("tax_rate", instance.tax_rate)
        if amount is not None and not currency:
            customer = data.get("customer") or getattr(instance, "customer", None)
            currency = customer.tenant.default_currency if customer is not None else ""
        if "currency" in self.fields:
            data["currency"] = currency if amount is not None else ""
        subscription = data.get("subscription", instance.subscription)
        errors = order_price_check(
            amount=amount, currency=currency, tax_rate=tax_rate, subscription=subscription
        )
        for name, error in errors.items():
            self.add_error(name if name in self.fields else None, error)
        return data


class OrderAddForm(OrderPriceForm):
    class Meta:
        model = Order
        fields = ["customer", "subscription", "title", "description", *PRICE_FIELDS]

    def clean(self):
        data = super().clean()
        customer, subscription = data.get("customer"), data.get("subscription")
        if (
            subscription is not None
            and customer is not None
            and subscription.customer_id != customer.pk
        ):
            self.add_error("subscription", _("That subscription belongs to another customer."))
        return data


class OrderAdmin(CreatedByServiceAdmin):
    """Registered on the top floor (portal/admin.py), where billing adds the order's invoices,
    its payment state and "Invoice this order"."""

    view_action = "order.view"
    add_action = change_action = "order.manage"
    audit_name = "order"
    list_display = ["title", "customer", "kind", "ordered_at", "amount", "invoiced_at", "progress"]
    list_filter = ["kind"]
    list_select_related = ["customer", "tenant"]
    search_fields = ["title", "customer__name", "customer__number"]
    autocomplete_fields = ["customer"]
    actions = ["advance"]
    form = OrderPriceForm

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("stages")

    def get_inlines(self, request: HttpRequest, obj=None):
        return [DeliveryStageInline] if obj is not None else []

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ["customer", "subscription", "title", "description", *PRICE_FIELDS]
        return ["customer", "subscription", "title", "description", "kind", "ordered_at"] + (
            [] if obj.subscription_id else [*PRICE_FIELDS, "invoiced_at"]
        )

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return []
        readonly = ["customer", "subscription", "kind", "ordered_at", "invoiced_at"]
        # Once invoiced, the price is the invoice's: corrections are credit notes.
        return readonly + (PRICE_FIELDS if obj.invoiced_at or obj.subscription_id else [])

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = OrderAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        if not change:
            return  # created by the service (create)
        editable = [name for name in ORDER_EDITABLE if name in form.cleaned_data]
        try:
            order_update(
                order=obj,
                actor=request.user,
                **{name: form.cleaned_data[name] for name in editable},
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            request._kontor_refused = True
        obj.refresh_from_db()

    def response_change(self, request, obj):
        if getattr(request, "_kontor_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    @admin.display(description=_("Progress"))
    def progress(self, order: Order) -> str:
        stages = list(order.stages.all())
        reached = [s for s in stages if s.reached_at]
        return f"{reached[-1].name if reached else '—'} ({len(reached)}/{len(stages)})"

    @admin.action(description=_("Advance to the next stage"), permissions=["change"])
    def advance(self, request: HttpRequest, queryset) -> None:
        for order in queryset:
            try:
                stage = order_advance(order=order, actor=request.user)
            except ValidationError as exc:
                messages.warning(request, f"{order}: {' '.join(exc.messages)}")
            else:
                messages.success(request, f"{order}: {stage.name}")

    def create(self, request: HttpRequest, data: dict) -> Order:
        return order_create(
            customer=data["customer"],
            title=data["title"],
            description=data.get("description", ""),
            subscription=data.get("subscription"),
            actor=request.user,
            amount=data.get("amount"),
            currency=data.get("currency", ""),
            tax_rate=data.get("tax_rate"),
        )


class LedgerEntryForm(forms.ModelForm):
    """Staff record a use (a ticket handled by phone) or correct a balance (Manager)."""

    credits = forms.IntegerField(
        label=_("Credits"),
        help_text=_("Use: how many credits were used. Correction: + or −."),
        min_value=-CREDITS_MAX,
        max_value=CREDITS_MAX,
    )

    class Meta:
        model = CreditLedgerEntry
        fields = ["customer", "kind", "department", "reference"]

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        if kind not in (LedgerKind.USE, LedgerKind.ADJUSTMENT):
            raise ValidationError(_("Only uses and corrections are recorded by hand."))
        return kind

    def clean(self):
        data = super().clean()
        customer, kind, amount = data.get("customer"), data.get("kind"), data.get("credits")
        if customer is None or kind is None or amount is None:
            return data
        if kind == LedgerKind.ADJUSTMENT and not data.get("reference", "").strip():
            self.add_error("reference", _("Say why the balance is corrected."))
        # The admin saves inside this same transaction: the lock taken here holds until the
        # entry is written, so the check cannot be overtaken by a concurrent use.
        try:
            credits_check(customer=customer, kind=kind, amount=amount, today=timezone.localdate())
        except ValidationError as exc:
            self.add_error("credits", exc)
        return data


@admin.register(CreditLedgerEntry)
class CreditLedgerEntryAdmin(CreatedByServiceAdmin):
    licence_module = LicenceModule.VIP_SUPPORT
    view_action = "credits.view"
    add_action = "credits.adjust"
    audit_name = "credits"
    form = LedgerEntryForm
    list_display = [
        "created_at",
        "customer",
        "kind",
        "delta",
        "balance_after",
        "department",
        "reference_shown",
    ]
    list_filter = ["kind", "department"]
    list_select_related = ["customer", "department", "tenant"]
    search_fields = ["customer__name", "customer__number", "reference"]
    autocomplete_fields = ["customer"]

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ["customer", "kind", "credits", "department", "reference"]
        return [
            "customer",
            "kind",
            "delta",
            "balance_after",
            "department",
            "package",
            "reference",
            "actor",
            "created_at",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.get_fields(request, obj) if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the ledger is append-only: corrections are new entries

    @admin.display(description=_("reference"), ordering="reference")
    def reference_shown(self, entry: CreditLedgerEntry) -> str:
        return entry.reference_text

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def create(self, request: HttpRequest, data: dict) -> CreditLedgerEntry:
        if data["kind"] == LedgerKind.USE:
            return credits_use(
                customer=data["customer"],
                units=data["credits"],
                actor=request.user,
                today=timezone.localdate(),
                department=data.get("department"),
                reference=data.get("reference", ""),
            )
        return credits_adjust(
            customer=data["customer"],
            delta=data["credits"],
            reason=data.get("reference", ""),
            actor=request.user,
        )


class CustomerAccountMixin:
    """What the subscriptions app adds to the customer page (composed in portal.admin over
    contracts' CustomerAdmin): the account section, and closing the account (Manager and up),
    only once nothing runs any more."""

    actions = ["close_accounts"]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [
            *fieldsets,
            (_("Account"), {"fields": ["account_owners", "contract_start", "closed_at"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "account_owners", "contract_start", "closed_at"] if obj else readonly

    @admin.display(description=_("Account owner"))
    def account_owners(self, customer: Customer) -> str:
        owners = customer.contacts.filter(role="owner", is_active=True).select_related("user")
        return ", ".join(str(c.user) for c in owners) or "—"

    @admin.display(description=_("Contract runs since"))
    def contract_start(self, customer: Customer):
        return customer_contract_start(customer) or "—"

    def has_close_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "customer.delete")

    @admin.action(description=_("Close the account"), permissions=["close"])
    def close_accounts(self, request: HttpRequest, queryset) -> None:
        for customer in queryset:
            try:
                account_close(customer=customer, actor=request.user, today=timezone.localdate())
            except ValidationError as exc:
                messages.warning(request, f"{customer}: {' '.join(exc.messages)}")
            else:
                messages.success(
                    request, _("The account of %(customer)s is closed.") % {"customer": customer}
                )
