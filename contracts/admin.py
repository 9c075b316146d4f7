from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from contracts.models import Contact, Customer
from contracts.services import contact_add
from core.admin_base import CreatedByServiceAdmin, TenantScopedAdmin, TenantScopedInline
from core.roles import ContactRole


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


@admin.register(Customer)
class CustomerAdmin(TenantScopedAdmin):
    view_action = "customer.view"
    add_action = "customer.add"
    change_action = "customer.change"
    delete_action = "customer.delete"
    audit_name = "customer"
    list_display = ["name", "number", "language", "created_at"]
    search_fields = ["name", "number"]
    fields = ["tenant", "name", "number", "language"]
    inlines = [ContactInline]


class ContactAddForm(forms.ModelForm):
    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(label=_("Full name"), required=False)

    class Meta:
        model = Contact
        fields = ["customer", "email", "full_name", "role"]


@admin.register(Contact)
class ContactAdmin(CreatedByServiceAdmin):
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
