"""Back office for paid support (Billing and up): departments, packages and the departments they
cover, purchased packages (a read-only list, filtered and exported), and the department access
section of the customer page (composed in portal.admin)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export import fields as export_fields
from import_export import resources
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ExportForm

from core.admin_base import ReadOnlyAdmin, TenantScopedAdmin
from core.admin_translations import TranslatedTextsAdmin, TranslatedTextsForm, translated_form
from core.licence import LicenceModule, licence_admin_allows, licence_admin_required
from subscriptions.access import department_access_set
from subscriptions.models import Department, Package, PackageKind, PackagePurchase, PurchaseState
from subscriptions.periods import local_today
from subscriptions.selectors import department_access_list


class PaidSupportAdmin(TenantScopedAdmin):
    """Packages and departments: defined by Billing and up (the Billing permission)."""

    licence_module = LicenceModule.VIP_SUPPORT
    view_action = add_action = change_action = delete_action = "packages.manage"


@admin.register(Department)
class DepartmentAdmin(TranslatedTextsAdmin, PaidSupportAdmin):
    audit_name = "department"
    form = translated_form(Department)
    list_display = [
        "name",
        "credits_per_request",
        "counts_tickets",
        "counts_conversations",
        "counts_live_chats",
        "needs_package",
    ]
    list_filter = ["needs_package"]
    fields = ["tenant", *list_display]


class PackageForm(TranslatedTextsForm):
    def clean(self):
        data = super().clean()
        tenant = data.get("tenant") or getattr(self.instance, "tenant", None)
        foreign = [d for d in data.get("departments") or () if tenant and d.tenant_id != tenant.pk]
        if foreign:
            # Only reachable for superusers (staff pick from their own tenant's departments).
            self.add_error("departments", _("A package covers its own business's departments."))
        return data


@admin.register(Package)
class PackageAdmin(TranslatedTextsAdmin, PaidSupportAdmin):
    audit_name = "package"
    form = translated_form(Package, PackageForm)
    list_display = ["name", "kind", "credits", "duration_days", "price", "currency", "is_active"]
    list_filter = ["kind", "is_active"]
    fields = [
        "tenant",
        "name",
        "description",
        "kind",
        "credits",
        "duration_days",
        "price",
        "currency",
        "is_active",
        "departments",
    ]
    # A handful of departments per business: checkboxes read better than a dual list.
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}


def admin_today(request: HttpRequest) -> date:
    """The staff member's business's calendar day (a superuser without one: the server's)."""
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return timezone.localdate()
    return local_today(timezone.now(), tenant.timezone)


def purchase_left(purchase: PackagePurchase) -> str:
    """Credits left, or days left, as of the day `with_state` was given."""
    if purchase.kind == PackageKind.CREDITS:
        n = purchase.credits_left
        return ngettext("%(n)d credit", "%(n)d credits", n) % {"n": n}
    n = purchase.days_left(purchase.as_of)
    return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}


class PurchaseResource(resources.ModelResource):
    """The export: the list's columns, headed in the staff member's language."""

    customer = export_fields.Field(attribute="customer", column_name=_("customer"))
    package = export_fields.Field(attribute="package", column_name=_("package"))
    kind = export_fields.Field(column_name=_("kind"))
    bought_at = export_fields.Field(attribute="bought_at", column_name=_("bought on"))
    left = export_fields.Field(column_name=_("credits or days left"))
    state = export_fields.Field(column_name=_("state"))

    class Meta:
        model = PackagePurchase
        fields = ["customer", "package", "kind", "bought_at", "left", "state"]
        export_order = fields

    def get_export_headers(self, selected_fields=None):
        return [str(h) for h in super().get_export_headers(selected_fields)]

    def dehydrate_customer(self, purchase: PackagePurchase) -> str:
        return str(purchase.customer)

    def dehydrate_package(self, purchase: PackagePurchase) -> str:
        return purchase.package.name

    def dehydrate_kind(self, purchase: PackagePurchase) -> str:
        return str(purchase.get_kind_display())

    def dehydrate_bought_at(self, purchase: PackagePurchase) -> str:
        return timezone.localtime(purchase.bought_at).date().isoformat()

    def dehydrate_left(self, purchase: PackagePurchase) -> str:
        return purchase_left(purchase)

    def dehydrate_state(self, purchase: PackagePurchase) -> str:
        return str(PurchaseState(purchase.state).label)


class PurchaseStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin):
        return PurchaseState.choices

    def queryset(self, request: HttpRequest, queryset):
        if self.value() in PurchaseState.values:
            return queryset.filter(state=self.value())
        return queryset


@admin.register(PackagePurchase)
class PackagePurchaseAdmin(ExportMixin, ReadOnlyAdmin, TenantScopedAdmin):
    """Purchased packages: read-only (package_purchase writes them, uses draw on them)."""

    licence_module = LicenceModule.VIP_SUPPORT
    view_action = "packages.purchases.view"
    resource_classes = [PurchaseResource]
    formats = [CSV, XLSX]
    export_form_class = ExportForm
    list_display = ["customer", "package", "kind", "bought_on", "left", "state_label"]
    list_filter = [PurchaseStateFilter, "kind", "package", "bought_at"]
    list_select_related = ["customer", "package", "tenant"]
    search_fields = ["customer__name", "customer__number"]
    fields = [
        "customer",
        "package",
        "kind",
        "bought_at",
        "buyer",
        "order",
        "credits",
        "credits_left",
        "valid_from",
        "valid_until",
        "forfeited_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).with_state(admin_today(request))

    @admin.display(description=_("bought on"), ordering="bought_at")
    def bought_on(self, purchase: PackagePurchase) -> date:
        return timezone.localtime(purchase.bought_at).date()

    @admin.display(description=_("credits or days left"))
    def left(self, purchase: PackagePurchase) -> str:
        return purchase_left(purchase)

    @admin.display(description=_("state"), ordering="state")
    def state_label(self, purchase: PackagePurchase) -> str:
        return PurchaseState(purchase.state).label

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self._may(request, self.view_action)


class CustomerDepartmentAccessMixin:
    """What paid support adds to the customer page (composed in portal.admin): the customer's
    department access, each department switched on or off by hand (Billing and up)."""

    def get_urls(self):
        view = licence_admin_required(
            LicenceModule.VIP_SUPPORT, self.admin_site.admin_view(self.department_access_view)
        )
        return [
            path(
                "<int:object_id>/department-access/<int:department_id>/",
                view,
                name="contracts_customer_department_access",
            ),
            *super().get_urls(),
        ]

    def _shows_department_access(self, request: HttpRequest) -> bool:
        return licence_admin_allows(request, LicenceModule.VIP_SUPPORT) and self._may(
            request, "credits.view"
        )

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if str(object_id).isdigit() and self._shows_department_access(request):
            customer = self.get_queryset(request).filter(pk=object_id).first()
            if customer is not None:
                extra_context["department_access"] = department_access_list(
                    tenant=customer.tenant, customer=customer
                )
                if self._may(request, "department_access.manage"):
                    # The template adds each department's id (no reverse() per row).
                    extra_context["access_toggle_url"] = (
                        reverse("admin:contracts_customer_changelist")
                        + f"{customer.pk}/department-access/"
                    )
        return super().change_view(request, object_id, form_url, extra_context)

    def department_access_view(
        self, request: HttpRequest, object_id: int, department_id: int
    ) -> HttpResponse:
        """Switch one department on or off for this customer (a button of the change form)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        customer = self.get_object(request, str(object_id))
        if not self._shows_department_access(request) or not self._may(
            request, "department_access.manage"
        ):
            raise PermissionDenied
        department = get_object_or_404(Department, pk=department_id, tenant=customer.tenant_id)
        switch_on = request.POST.get("switch_on") == "1"
        try:
            department_access_set(
                customer=customer, department=department, enabled=switch_on, actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            message = (
                _("%(department)s is switched on for %(customer)s.")
                if switch_on
                else _("%(department)s is switched off for %(customer)s.")
            )
            messages.success(request, message % {"department": department, "customer": customer})
        return redirect(
            reverse("admin:contracts_customer_change", args=[customer.pk]) + "#department-access"
        )
