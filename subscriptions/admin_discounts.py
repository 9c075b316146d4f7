"""Back office for discount codes: part of the catalogue (Manager and up edit, Support looks).

A code is stored upper-case (buyers type it in any case); the number of uses is counted by
subscriptions.discounts under the code's row lock, never typed in here."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin_base import TenantScopedAdmin
from core.licence import LicenceModule
from subscriptions.discounts import normalize_code
from subscriptions.models import DiscountCode, DiscountKind


class DiscountCodeForm(forms.ModelForm):
    class Meta:
        model = DiscountCode
        fields = [
            "code",
            "description",
            "kind",
            "value",
            "currency",
            "periods",
            "tariffs",
            "max_uses",
            "expires_on",
            "is_active",
        ]

    def clean_code(self) -> str:
        # Upper-cased here, before the model's checks: a duplicate typed in another case is
        # caught by the (tenant, code) constraint as a form error, not a database error.
        code = normalize_code(self.cleaned_data.get("code") or "")
        if not code:
            raise forms.ValidationError(_("Enter a code."), code="required")
        return code

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").upper()

    def clean(self):
        data = super().clean()
        kind, value = data.get("kind"), data.get("value")
        if kind == DiscountKind.FIXED and not data.get("currency"):
            self.add_error("currency", _("A fixed amount needs the currency it is in."))
        if value is not None and value <= 0:
            self.add_error("value", _("Enter a value above zero."))
        elif kind == DiscountKind.PERCENT and value is not None and value > Decimal(100):
            self.add_error("value", _("A percentage can be at most 100."))
        return data


@admin.register(DiscountCode)
class DiscountCodeAdmin(TenantScopedAdmin):
    # Codes are redeemed only at self-service checkout (catalogue orders, payment links):
    # without that module nobody could use one. Subscriptions that carry one keep it.
    licence_module = LicenceModule.ORDERING
    view_action = "catalogue.view"
    add_action = change_action = delete_action = "catalogue.manage"
    audit_name = "discount_code"
    form = DiscountCodeForm
    list_display = [
        "code",
        "kind",
        "value",
        "periods",
        "uses_of_limit",
        "expires_on",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "description"]
    filter_horizontal = ["tariffs"]
    readonly_fields = ["uses"]
    fieldsets = [
        (None, {"fields": ["tenant", "code", "description", "is_active"]}),
        (_("Discount"), {"fields": ["kind", "value", "currency", "periods"]}),
        (_("Limits"), {"fields": ["tariffs", "max_uses", "uses", "expires_on"]}),
    ]

    @admin.display(description=_("uses"))
    def uses_of_limit(self, code: DiscountCode) -> str:
        if code.max_uses is None:
            return str(code.uses)
        return f"{code.uses} / {code.max_uses}"
