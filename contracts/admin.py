from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from contracts.acting import acting_start
from contracts.admin_impex import (
    ContactImportResource,
    CustomerExportResource,
    CustomerImportResource,
)
from contracts.models import Contact, Customer, LegalAcceptance, LegalDocument
from contracts.portal_links import portal_link_contacts, portal_link_copy, portal_link_email
from contracts.services import (
    STAFF_FIELD_ACTIONS,
    contact_add,
    customer_create,
    customer_fields_allowed,
    customer_update,
    legal_document_publish,
)
from core.admin_base import CreatedByServiceAdmin, TenantScopedInline, is_platform_admin
from core.admin_impex import ServiceImportMixin, TenantExportMixin
from core.forms import EmailListField
from core.licence import LicenceModule, licence_admin_allows
from core.roles import ContactRole
from core.signing import LinkInvalid


class ContactInline(TenantScopedInline):
    """The customer's contacts, listed on its page; they are added and changed on the contact
    page (by e-mail address, through the service), so here they are read-only."""

    model = Contact
    fields = ["user", "role", "is_active"]
    readonly_fields = ["user", "role", "is_active"]
    extra = 0
    can_delete = False
    show_change_link = True
    view_action = "contact.view"


class LegalAcceptanceInline(TenantScopedInline):
    model = LegalAcceptance
    fields = ["document", "accepted_at", "accepted_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    view_action = "customer.view"


class CustomerForm(forms.ModelForm):
    invoice_recipients = EmailListField(label=_("Invoice recipients"), required=False)

    class Meta:
        model = Customer
        fields = ["tenant", *STAFF_FIELD_ACTIONS]


class PortalLinkForm(forms.Form):
    contact = forms.TypedChoiceField(label=_("Contact"), coerce=int)

    def __init__(self, *args, contacts: list[Contact], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.contacts = {c.pk: c for c in contacts}
        self.fields["contact"].choices = [
            (c.pk, f"{c.user.email} ({c.get_role_display()})") for c in contacts
        ]
        if contacts:
            self.fields["contact"].initial = contacts[0].pk  # the account owner, if any

    def clean_contact(self) -> Contact:
        return self.contacts[self.cleaned_data["contact"]]


class CustomerAdmin(ServiceImportMixin, TenantExportMixin, CreatedByServiceAdmin):
    """Contract data. Fields a staff member's role may not change are shown read-only (payment
    terms, test account, contract partner: Manager and up); writes go through the services.
    The list exports (CSV, XLSX) for whoever may view it, and imports from CSV (Billing and up).

    The base of the customer page, registered once in portal.admin, where the higher apps'
    additions (subscriptions' account, billing's payments) are mixed in."""

    view_action = "customer.view"
    add_action = "customer.add"
    change_action = "customer.change"
    audit_name = "customer"
    form = CustomerForm
    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    import_resource_classes = [CustomerImportResource]
    export_resource_classes = [CustomerExportResource]
    list_display = ["name", "number", "vat_regime", "is_test_account", "created_at"]
    list_filter = ["vat_regime", "is_test_account"]
    search_fields = ["name", "number", "vat_id", "po_number"]
    fieldsets = [
        (None, {"fields": ["tenant", "name", "number", "language", "is_test_account"]}),
        (_("Contract"), {"fields": ["contract_partner", "payment_terms_days"]}),
        (
            _("Billing address"),
            {
                "fields": [
                    "billing_company",
                    "billing_street",
                    "billing_street_2",
                    "billing_postal_code",
                    "billing_city",
                    "billing_country",
                ]
            },
        ),
        (
            _("Tax"),
            {"fields": ["vat_regime", "vat_exemption_reason", "vat_id", "tax_id"]},
        ),
        (
            _("Legal identity"),
            {
                "fields": [
                    "legal_form",
                    ("register_court", "register_number"),
                    ("siren", "siret", "rcs_city"),
                    "rea_number",
                    "tax_office",
                ]
            },
        ),
        (
            _("Invoice delivery"),
            {
                "fields": [
                    "invoice_recipients",
                    "document_delivery",
                    "einvoice_format",
                    "po_number",
                    "buyer_reference",
                ]
            },
        ),
    ]
    inlines = [ContactInline, LegalAcceptanceInline]

    def get_urls(self):
        view = self.admin_site.admin_view(self.portal_link_view)
        act_as = self.admin_site.admin_view(self.act_as_view)
        return [
            path("<int:object_id>/portal-link/", view, name="contracts_customer_portal_link"),
            path("<int:object_id>/act-as/", act_as, name="contracts_customer_act_as"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if str(object_id).isdigit() and self._may(request, "customer.portal_link"):
            extra_context["portal_link_url"] = reverse(
                "admin:contracts_customer_portal_link", args=[object_id]
            )
        if (
            str(object_id).isdigit()
            and request.tenant is not None
            and self._may(request, "customer.act_as")
        ):
            extra_context["act_as_url"] = reverse(
                "admin:contracts_customer_act_as", args=[object_id]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def act_as_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Open this customer's portal view (contracts.acting): POST only, from the change page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        customer = self.get_object(request, str(object_id))
        # Acting happens on the customer's own business's host, never across businesses.
        if request.tenant is None or customer.tenant_id != request.tenant.pk:
            raise Http404
        if not self._may(request, "customer.act_as"):
            raise PermissionDenied
        try:
            acting_start(session=request.session, actor=request.user, customer=customer)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("admin:contracts_customer_change", customer.pk)
        rotate_token(request)  # a form opened before, in another tab, no longer posts
        return redirect("dashboard")

    def portal_link_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Copy or e-mail a contact's portal link (Billing and up; the account owner first)."""
        customer = self.get_object(request, str(object_id))
        if not self._may(request, "customer.portal_link"):
            raise PermissionDenied
        contacts = portal_link_contacts(customer)
        form = PortalLinkForm(request.POST or None, contacts=contacts)
        link = ""
        if request.method == "POST" and form.is_valid():
            contact = form.cleaned_data["contact"]
            try:
                if "email" in request.POST:
                    portal_link_email(contact=contact, actor=request.user)
                else:
                    link = portal_link_copy(contact=contact, actor=request.user)
            except LinkInvalid:
                form.add_error("contact", _("This contact cannot use a portal link."))
            else:
                if not link:
                    messages.success(
                        request,
                        _("The portal link is on its way to %(email)s.")
                        % {"email": contact.user.email},
                    )
                    return redirect("admin:contracts_customer_change", customer.pk)
        return TemplateResponse(
            request,
            "admin/contracts/customer/portal_link.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": customer,
                "customer": customer,
                "form": form,
                "contacts": contacts,
                "link": link,
                "validity_days": customer.tenant.link_validity_days,
                "title": _("Portal link"),
            },
            status=400 if request.method == "POST" and not form.is_valid() else 200,
        )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Customers are closed (subscriptions admin), never deleted: their documents stay.
        return False

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if licence_admin_allows(request, LicenceModule.EINVOICING):
            return fieldsets
        # Without e-invoicing the choice of format means nothing: hidden, its value kept.
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "einvoice_format"]})
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if is_platform_admin(request):
            return readonly
        allowed = customer_fields_allowed(customer=obj, tenant=request.tenant, actor=request.user)
        if obj is None:
            # Creating needs at least the name; a new customer has no contacts to choose from.
            allowed |= {"name"}
            allowed.discard("contract_partner")
        return readonly + [f for f in STAFF_FIELD_ACTIONS if f not in allowed]

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "contract_partner" in form.base_fields:
            # The partner is one of this customer's own contacts.
            form.base_fields["contract_partner"].queryset = (
                Contact.objects.filter(customer=obj) if obj else Contact.objects.none()
            )
        return form

    def create(self, request: HttpRequest, data: dict) -> Customer:
        tenant = data.get("tenant") if is_platform_admin(request) else request.tenant
        fields = {k: v for k, v in data.items() if k in STAFF_FIELD_ACTIONS and k != "name"}
        fields.pop("contract_partner", None)
        return customer_create(
            tenant=tenant or request.tenant, name=data["name"], actor=request.user, **fields
        )

    def save_model(self, request, obj, form, change) -> None:
        if change:
            changes = {
                f: form.cleaned_data[f] for f in form.changed_data if f in STAFF_FIELD_ACTIONS
            }
            if changes:
                customer_update(customer=obj, actor=request.user, changes=changes)


@admin.register(LegalDocument)
class LegalDocumentAdmin(CreatedByServiceAdmin):
    """Terms and privacy policies. A published version is never edited: publish a new one."""

    view_action = "customer.view"
    add_action = "tenant.change"
    audit_name = "legal"
    list_display = ["kind", "version", "title", "published_at"]
    list_filter = ["kind"]
    fields = ["tenant", "kind", "version", "title", "body", "published_at"]
    readonly_fields = ["published_at"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is not None:
            return ["kind", "version", "title", "body", "published_at"]
        return ["published_at"]

    def create(self, request: HttpRequest, data: dict) -> LegalDocument:
        tenant = data.get("tenant") if is_platform_admin(request) else request.tenant
        return legal_document_publish(
            tenant=tenant or request.tenant,
            kind=data["kind"],
            version=data["version"],
            title=data["title"],
            body=data["body"],
            actor=request.user,
        )


class ContactAddForm(forms.ModelForm):
    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(label=_("Full name"), required=False)

    class Meta:
        model = Contact
        fields = ["customer", "email", "full_name", "role"]


@admin.register(Contact)
class ContactAdmin(ServiceImportMixin, CreatedByServiceAdmin):
    """Contacts; imported from CSV by customer number and e-mail address (Billing and up)."""

    import_resource_classes = [ContactImportResource]
    view_action = "contact.view"
    add_action = change_action = delete_action = "contact.manage"
    audit_name = "contact"
    list_display = ["user", "customer", "role", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "user__full_name", "customer__name", "customer__number"]
    autocomplete_fields = ["customer"]
    list_select_related = ["user", "customer", "tenant"]

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ContactAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ["customer", "email", "full_name", "role"]
        return ["customer", "user", "role", "is_active"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return ["customer", "user"] if obj else []

    def get_exclude(self, request: HttpRequest, obj=None):
        return ["tenant"]  # always the customer's

    def create(self, request: HttpRequest, data: dict) -> Contact:
        return contact_add(
            customer=data["customer"],
            email=data["email"],
            full_name=data["full_name"],
            role=ContactRole(data["role"]),
            actor=request.user,
        )
