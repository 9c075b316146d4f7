"""API keys in the back office (Owners): create one (its secret shown once, on the page that
answers the form, never stored), revoke. Keys are never edited or deleted: the audit trail and
the usage they reported keep pointing at them."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_base import CreatedByServiceAdmin, is_platform_admin
from core.api_keys import api_key_create, api_key_revoke
from core.licence import LicenceModule
from core.models import ApiKey, ApiScope


class ApiKeyAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiScope.USAGE_WRITE, ApiScope.CUSTOMERS_READ, ApiScope.DEPARTMENTS_READ],
    )

    class Meta:
        model = ApiKey
        fields = ["name", "scopes"]


@admin.register(ApiKey)
class ApiKeyAdmin(CreatedByServiceAdmin):
    view_action = add_action = "api_keys.manage"
    change_action = delete_action = None
    licence_module = LicenceModule.VIP_SUPPORT
    audit_name = "api_key"
    form = ApiKeyAddForm
    list_display = ["name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    list_select_related = ["tenant"]
    readonly_fields = [
        "name",
        "prefix",
        "scopes",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            fields = ["name", "scopes"]
            return ["tenant", *fields] if is_platform_admin(request) else fields
        return self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.readonly_fields if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "api_keys.manage")

    def create(self, request: HttpRequest, data: dict) -> ApiKey:
        chosen = data.get("tenant")
        key, secret = api_key_create(
            tenant=chosen if is_platform_admin(request) and chosen else request.tenant,
            name=data["name"],
            scopes=list(data["scopes"]),
            actor=request.user,
        )
        request._kontor_api_key_secret = secret  # shown once by response_add, never stored
        return key

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue=None):
        return TemplateResponse(
            request,
            "admin/core/apikey/created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "key": obj,
                "secret": request._kontor_api_key_secret,
                "title": _("API key created"),
            },
            headers={"Cache-Control": "no-store"},
        )

    @admin.action(description=_("Revoke selected API keys"), permissions=["manage"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> HttpResponse | None:
        keys = list(queryset.filter(revoked_at__isnull=True).select_related("tenant"))
        for key in keys:
            api_key_revoke(key=key, actor=request.user)
        messages.success(
            request,
            ngettext("%(count)d API key revoked.", "%(count)d API keys revoked.", len(keys))
            % {"count": len(keys)},
        )
        return None
