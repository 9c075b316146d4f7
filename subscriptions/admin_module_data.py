"""Back office: the module's fields on a subscription's page, and their definitions on the
module's page.

On the subscription page the fields the staff member may edit (their `editor`: staff are Billing
and up, manager fields Manager and up) are form fields; the others are shown greyed out. Staff who
may only view subscriptions see the values as text. Saving goes through
`subscription_module_data_save` (validated, audited); a refused change is a form error.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin_base import TenantScopedInline
from subscriptions.models import ModuleField, Subscription
from subscriptions.module_data import (
    module_data_check,
    module_fields,
    module_values,
    subscription_module_data_save,
)
from subscriptions.module_data_forms import form_field_name, module_data_form

SUMMARY = "module_data_summary"


class ModuleFieldInline(TenantScopedInline):
    """The module's own fields, managed with the catalogue (Manager and up)."""

    model = ModuleField
    template = "admin/edit_inline/stacked.html"
    fields = [
        ("key", "kind", "position"),
        ("editor", "required"),
        "label_en",
        "label_fr",
        "label_de",
        "label_it",
        "label_tr",
        "choices",
        ("max_length", "decimal_places"),
        ("min_value", "max_value"),
    ]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 40})}
    }
    extra = 0
    view_action = "catalogue.view"
    add_action = change_action = delete_action = "catalogue.manage"


class _ModuleDataFormMixin:
    """Checks the module fields with the rest of the subscription form (see module_form)."""

    module_actor: Any
    module_editable: list[ModuleField]
    module_readonly: list[ModuleField]
    module_all: list[ModuleField]

    def clean(self):
        data = super().clean()
        values = {
            d.key: data.get(form_field_name(d))
            for d in self.module_editable
            if form_field_name(d) not in self.errors  # already refused by its form field
        }
        for definition in self.module_readonly:
            name = self.add_prefix(form_field_name(definition))
            if name in self.data:  # never sent by the page: its input is disabled
                values[definition.key] = self.data.get(name)
        try:
            self.module_changes = module_data_check(
                subscription=self.instance,
                fields=self.module_all,
                values=values,
                actor=self.module_actor,
            )
        except PermissionDenied:
            self.add_error(None, _("You may not change some of these module fields."))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                names = {d.key: form_field_name(d) for d in self.module_all}
                for key, errors in exc.error_dict.items():
                    self.add_error(names.get(key), errors)
            else:
                self.add_error(None, exc)
        return data


class ModuleDataAdminMixin:
    """Mixed into the subscription admin, below its own get_form (which picks the form)."""

    def _module_fields(self, request: HttpRequest, obj: Subscription) -> list[ModuleField]:
        cache = request.__dict__.setdefault("_kontor_module_fields", {})
        if obj.pk not in cache:
            cache[obj.pk] = module_fields(module=obj.tariff.module)
        return cache[obj.pk]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None or not self._module_fields(request, obj):
            return fieldsets
        if not self.has_change_permission(request, obj):
            return [*fieldsets, (_("Module data"), {"fields": [SUMMARY]})]
        names = [form_field_name(d) for d in self._module_fields(request, obj)]
        return [*fieldsets, (_("Module data"), {"fields": names})]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, SUMMARY] if obj is not None else readonly

    @admin.display(description=_("Module data"))
    def module_data_summary(self, obj: Subscription) -> str:
        # `self.request` is not at hand in a display method: read-only values need no actor.
        values = module_values(
            subscription=obj, fields=module_fields(module=obj.tariff.module), actor=None
        )
        if not values:
            return "—"
        rows = [(v.label, v.display or "—") for v in values]
        return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None or not self._module_fields(request, obj):
            return super().get_form(request, obj, change=change, **kwargs)
        definitions = self._module_fields(request, obj)
        names = {form_field_name(d) for d in definitions}
        if "fields" not in kwargs:
            kwargs["fields"] = [
                name
                for _name, options in self.get_fieldsets(request, obj)
                for group in options["fields"]
                for name in (group if isinstance(group, list | tuple) else [group])
                if name not in names
            ]
        kwargs["fields"] = [
            f
            for f in kwargs["fields"]
            if f not in names and f not in self.get_readonly_fields(request, obj)
        ]
        form = super().get_form(request, obj, change=change, **kwargs)
        if not self.has_change_permission(request, obj):
            return form
        built = module_data_form(
            fields=definitions,
            actor=request.user,
            tenant=obj.tenant,
            customer_id=obj.customer_id,
            values=obj.module_data,
        )
        attrs: dict[str, Any] = {
            "module_actor": request.user,
            "module_editable": built.definitions,
            "module_readonly": built.readonly,
            "module_all": definitions,
        }
        for name, field in built.fields.items():
            # Staff may save the page (e.g. a cancellation) before the customer has filled in
            # a required field; the service still refuses to empty one that has a value.
            field.required = False
            field.initial = built.initial.get(name)
            attrs[name] = field
        for item in module_values(subscription=obj, fields=built.readonly, actor=request.user):
            attrs[form_field_name(item.field)] = forms.CharField(
                label=item.label, required=False, disabled=True, initial=item.display
            )
        return type(form.__name__, (_ModuleDataFormMixin, form), attrs)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        changes = getattr(form, "module_changes", None)
        if change and changes:
            subscription_module_data_save(
                subscription=form.instance, values=changes, actor=request.user
            )
        super().save_related(request, form, formsets, change)
