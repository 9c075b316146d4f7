"""Back office for payment links: staff who manage the catalogue (Manager and up) make them;
everyone who may see the catalogue sees them, their public address and their checkouts."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing.ordering.models import Checkout, CheckoutStatus, PaymentLink
from core.admin_base import TenantScopedAdmin, TenantScopedInline
from core.licence import LicenceModule
from core.tenancy import link_base
from subscriptions.models import Tariff


def payment_link_url(link: PaymentLink) -> str:
    """The link's public address, on the business's configured host."""
    return link_base(link.tenant) + reverse("payment_link", args=[link.slug])


class PaymentLinkForm(forms.ModelForm):
    """Tariffs of the chosen module only; options that at least one chosen tariff offers."""

    class Meta:
        model = PaymentLink
        fields = [
            "name",
            "description",
            "module",
            "tariffs",
            "options",
            "discount_code",
            "max_uses",
            "expires_on",
            "is_active",
        ]
        widgets = {
            "tariffs": forms.CheckboxSelectMultiple,
            "options": forms.CheckboxSelectMultiple,
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        module = cleaned.get("module")
        tariffs = list(cleaned.get("tariffs") or [])
        if module is not None and tariffs:
            foreign = [t for t in tariffs if t.module_id != module.pk]
            if foreign:
                self.add_error(
                    "tariffs",
                    _("Choose tariffs of the module %(module)s only (not: %(tariffs)s).")
                    % {"module": module.name, "tariffs": ", ".join(t.name for t in foreign)},
                )
        options = list(cleaned.get("options") or [])
        if options and tariffs:
            offered = set(
                Tariff.options.through.objects.filter(tariff__in=tariffs).values_list(
                    "option_id", flat=True
                )
            )
            missing = [o for o in options if o.pk not in offered]
            if missing:
                self.add_error(
                    "options",
                    _("No chosen tariff offers %(options)s.")
                    % {"options": ", ".join(o.name for o in missing)},
                )
        return cleaned


class CheckoutInline(TenantScopedInline):
    """The checkouts opened through the link: read-only (the checkout writes them)."""

    model = Checkout
    fk_name = "payment_link"
    extra = 0
    can_delete = False
    show_change_link = False
    fields = ["customer", "tariff", "status", "created_at", "completed_at"]
    readonly_fields = fields
    view_action = "catalogue.view"
    licence_module = LicenceModule.ORDERING
    verbose_name_plural = _("checkouts through this link")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("customer", "tariff__module")

    # Not even a superuser adds, changes or removes a checkout here.
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(PaymentLink)
class PaymentLinkAdmin(TenantScopedAdmin):
    licence_module = LicenceModule.ORDERING
    form = PaymentLinkForm
    view_action = "catalogue.view"
    add_action = change_action = delete_action = "catalogue.manage"
    audit_name = "payment_link"
    list_display = [
        "name",
        "module",
        "tariff_names",
        "uses_display",
        "expires_on",
        "is_active",
        "public_url",
    ]
    list_filter = ["is_active", "module"]
    list_select_related = ["module", "tenant"]
    search_fields = ["name", "slug"]
    readonly_fields = ["public_url"]
    inlines = [CheckoutInline]
    fieldsets = [
        (None, {"fields": ["tenant", "name", "description", "public_url"]}),
        (_("What it sells"), {"fields": ["module", "tariffs", "options", "discount_code"]}),
        (_("Limits"), {"fields": ["max_uses", "expires_on", "is_active"]}),
    ]

    class Media:
        js = ["js/copy_link.js"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(uses=Count("checkouts", filter=~Q(checkouts__status=CheckoutStatus.EXPIRED)))
            .prefetch_related("tariffs")
        )

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # no address before the link exists
            fieldsets = [
                (name, {**opts, "fields": [f for f in opts["fields"] if f != "public_url"]})
                for name, opts in fieldsets
            ]
        return fieldsets

    @admin.display(description=_("tariffs"))
    def tariff_names(self, obj: PaymentLink) -> str:
        return ", ".join(t.name for t in obj.tariffs.all())

    @admin.display(description=_("used"), ordering="uses")
    def uses_display(self, obj: PaymentLink) -> str:
        uses = getattr(obj, "uses", 0)
        return f"{uses} / {obj.max_uses}" if obj.max_uses is not None else str(uses)

    @admin.display(description=_("public address"))
    def public_url(self, obj: PaymentLink) -> str:
        if obj.pk is None:
            return ""
        url = payment_link_url(obj)
        # The path as its text keeps the list narrow; the button copies the whole address.
        return format_html(
            '<span class="payment-link-url"><a href="{}" target="_blank" rel="noopener">{}</a> '
            '<button type="button" class="button" data-copy="{}">{}</button></span>',
            url,
            reverse("payment_link", args=[obj.slug]),
            url,
            _("Copy"),
        )
