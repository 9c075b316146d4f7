from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core import admin_api_keys  # noqa: F401 — registers the API keys' admin
from core.admin_base import (
    CreatedByServiceAdmin,
    ReadOnlyAdmin,
    TenantScopedAdmin,
    is_platform_admin,
)
from core.audit import audit_record
from core.forms import EmailListField
from core.licence import LicenceModule, licence_admin_allows, licence_labels, licence_modules_clean
from core.models import AuditEntry, Domain, StaffMembership, Tenant, User
from core.roles import StaffRole, may
from core.services import (
    ensure_an_owner_remains,
    staff_add,
    staff_change,
    tenant_licence_change,
)
from core.tenancy import tenant_cache_clear


class DomainInline(admin.TabularInline):
    """Where the business is served: shown to its staff, set by the platform operator (DNS and
    certificates are theirs)."""

    model = Domain
    extra = 0

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        tenant = request.tenant
        return is_platform_admin(request) or (
            tenant is not None and may(request.user, "tenant.view", tenant=tenant)
        )

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_platform_admin(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_platform_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_platform_admin(request)


class TenantForm(forms.ModelForm):
    notification_cc_emails = EmailListField(
        label=_("CC addresses"),
        required=False,
        help_text=_(
            "Also told about purchases and cancellations: one e-mail address per line, or "
            "separated by commas."
        ),
    )

    class Meta:
        model = Tenant
        fields = ["notification_email", "notification_cc_emails"]


class TenantLicenceForm(TenantForm):
    """The operator's form of a business: its licence modules as checkboxes."""

    licence_modules = forms.MultipleChoiceField(
        label=_("Licence modules"),
        choices=LicenceModule.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("A module that is off hides its pages, menus and addresses; its data is kept."),
    )

    class Meta(TenantForm.Meta):
        # the admin adds the page's other fields
        fields = [*TenantForm.Meta.fields, "licence_modules"]

    def clean_licence_modules(self) -> list[str]:
        return licence_modules_clean(self.cleaned_data.get("licence_modules") or [])


# Settings that only mean something with a licence module, by a field of their section: the
# section is hidden while the business lacks the module (the values are kept).
_MODULE_SECTIONS = {
    "quote_number_format": LicenceModule.QUOTES,
    "contact_name": LicenceModule.EINVOICING,
    "einvoice_channel": LicenceModule.EINVOICING,
    "low_balance_threshold": LicenceModule.VIP_SUPPORT,
}


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    form = TenantForm
    view_action = "tenant.view"
    change_action = "tenant.change"
    audit_name = "tenant"
    list_display = ["name", "slug", "default_currency", "locale", "is_active"]
    search_fields = ["name", "slug"]
    inlines = [DomainInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "is_active"]}),
        (_("Branding"), {"fields": ["logo", "primary_colour"]}),
        (_("Language and currency"), {"fields": ["locale", "timezone", "default_currency"]}),
        (
            _("Legal identity"),
            {
                "fields": [
                    ("legal_name", "legal_form"),
                    "address_line_1",
                    "address_line_2",
                    ("postal_code", "city"),
                    "country",
                    "registered_office",
                    ("share_capital", "share_capital_currency"),
                    "managing_directors",
                ]
            },
        ),
        (
            _("Registration and tax numbers"),
            {
                "description": _("Fill in what your country's documents must show."),
                "fields": [
                    "vat_id",
                    "small_business_exemption",
                    "tax_id",
                    ("register_court", "register_number"),
                    ("siren", "siret", "rcs_city"),
                    "rea_number",
                    "tax_office",
                    "registration_number",
                ],
            },
        ),
        (
            _("E-invoice contact"),
            {
                "description": _("Named in XRechnung e-invoices as the seller's contact."),
                "fields": ["contact_name", "contact_email", "contact_phone"],
            },
        ),
        (_("E-invoice transmission"), {"fields": ["einvoice_channel"]}),
        (_("Bank account"), {"fields": ["bank_account_holder", "iban", "bic"]}),
        (
            _("Documents and terms"),
            {
                "fields": [
                    "invoice_number_format",
                    "credit_note_number_format",
                    "test_number_format",
                    "receipt_number_format",
                    "number_reset_yearly",
                    "payment_terms_days",
                    ("late_payment_interest_rate", "late_payment_interest_note"),
                    "early_payment_discount",
                    "operation_category",
                    "vat_on_debits",
                ]
            },
        ),
        (
            _("Quotes"),
            {
                "fields": [
                    "quote_number_format",
                    "quote_validity_days",
                    "quote_signature_required",
                    "quote_link_approval",
                ]
            },
        ),
        (
            _("Notifications"),
            {"fields": ["notification_email", "notification_cc_emails"]},
        ),
        (_("Credits"), {"fields": ["low_balance_threshold"]}),
        (_("Access"), {"fields": ["self_registration_enabled", "staff_mfa_required"]}),
    ]

    def scope(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return qs.filter(pk=request.tenant.pk)

    def _tenant_of(self, obj: Tenant) -> Tenant:
        return obj

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if is_platform_admin(request):
            kwargs["form"] = TenantLicenceForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj=None):
        operator = is_platform_admin(request)
        fieldsets = [
            (name, opts)
            for name, opts in super().get_fieldsets(request, obj)
            if licence_admin_allows(request, _MODULE_SECTIONS.get(opts["fields"][0]))
        ]
        licence = (
            _("Licence"),
            {
                "description": None if operator else _("Set by the platform operator."),
                "fields": ["licence_modules" if operator else "licence_shown"],
            },
        )
        return [*fieldsets, licence]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # The slug is the tenant's address: only the platform operator moves it, and sells
        # the licence.
        return [] if is_platform_admin(request) else ["slug", "is_active", "licence_shown"]

    @admin.display(description=_("Licence modules"))
    def licence_shown(self, tenant: Tenant) -> str:
        return ", ".join(licence_labels(tenant)) or "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A business's invoices and audit trail must outlive it: deactivate it instead.
        return False

    def save_model(self, request, obj, form, change) -> None:
        modules = obj.licence_modules
        if change and "licence_modules" in form.changed_data:
            # Not saved with the other settings: the licence has its own service and audit.
            obj.licence_modules = Tenant.objects.values_list("licence_modules", flat=True).get(
                pk=obj.pk
            )
        super().save_model(request, obj, form, change)
        if change and is_platform_admin(request) and modules != obj.licence_modules:
            tenant_licence_change(tenant=obj, modules=modules, actor=request.user)
        tenant_cache_clear()

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        # Custom domains decide where a business is served: every change is audited.
        changes = [("add", d) for d in formset.new_objects]
        changes += [("change", d) for d, _fields in formset.changed_objects]
        changes += [("remove", d) for d in formset.deleted_objects]
        for verb, domain in changes:
            audit_record(
                tenant=form.instance,
                actor=request.user,
                action=f"tenant.domain_{verb}",
                obj=domain,
                after={"host": domain.host},
            )
        tenant_cache_clear()


class StaffMembershipChangeForm(forms.ModelForm):
    class Meta:
        model = StaffMembership
        fields = ["role", "is_active"]

    def clean(self):
        data = super().clean()
        if self.instance.pk and "role" in data:
            # Checked against the row as stored, not as this form has already changed it.
            stored = StaffMembership.objects.get(pk=self.instance.pk)
            ensure_an_owner_remains(
                membership=stored, role=data["role"], is_active=data.get("is_active", False)
            )
        return data


class StaffMembershipAddForm(forms.ModelForm):
    email = forms.EmailField(label=_("E-mail address"))

    class Meta:
        model = StaffMembership
        fields = ["email", "role"]


@admin.register(StaffMembership)
class StaffMembershipAdmin(CreatedByServiceAdmin):
    view_action = "staff.view"
    add_action = change_action = delete_action = "staff.manage"
    audit_name = "staff"
    list_display = ["user", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "user__full_name"]
    list_select_related = ["user", "tenant"]

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        kwargs["form"] = StaffMembershipAddForm if obj is None else StaffMembershipChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            fields = ["email", "role"]
            return ["tenant", *fields] if is_platform_admin(request) else fields
        return ["role", "is_active"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return ["user"] if obj else []

    def save_model(self, request, obj, form, change) -> None:
        if change:
            staff_change(
                membership=obj,
                role=form.cleaned_data["role"],
                is_active=form.cleaned_data["is_active"],
                actor=request.user,
            )

    def create(self, request: HttpRequest, data: dict) -> StaffMembership:
        chosen = data.get("tenant")
        return staff_add(
            tenant=chosen if is_platform_admin(request) and chosen else request.tenant,
            email=data["email"],
            role=StaffRole(data["role"]),
            actor=request.user,
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin, TenantScopedAdmin):  # written by services only
    view_action = "audit.view"
    list_display = [
        "created_at",
        "actor_label",
        "on_behalf_of",
        "action",
        "object_repr",
        "ip_address",
    ]
    list_filter = ["action"]
    search_fields = ["actor_label", "on_behalf_of", "action", "object_repr", "object_id"]
    date_hierarchy = "created_at"
    list_select_related = ["tenant"]
    readonly_fields = [
        "created_at",
        "actor",
        "actor_label",
        "on_behalf_of",
        "on_behalf_of_id",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "before",
        "after",
        "ip_address",
    ]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Platform operators only: people are global; tenants manage them as staff or contacts."""

    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_superuser", "date_joined"]
    list_filter = ["is_active", "is_superuser"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["full_name", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_superuser"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    filter_horizontal: list[str] = []

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_platform_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_platform_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_platform_admin(request)
