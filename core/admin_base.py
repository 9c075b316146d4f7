"""The base of every back-office page for tenant-owned rows.

Staff see and touch only their tenant's rows — in lists, change views, search, autocomplete and
foreign-key choices — and only what the role matrix grants them. Superusers see every tenant,
with a filter to pick one. Each save and delete writes an audit entry.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Q, QuerySet
from django.forms import ModelForm
from django.http import Http404, HttpRequest
from django.urls import URLPattern

from core.audit import audit_record, snapshot
from core.forms import (
    WellFormedModelChoiceField,
    WellFormedModelMultipleChoiceField,
    value_fits,
)
from core.licence import LicenceModule, licence_admin_allows, licence_admin_required
from core.models import Tenant, User
from core.roles import may


def is_platform_admin(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_superuser


def has_tenant_field(model: type[models.Model]) -> bool:
    return any(f.name == "tenant" for f in model._meta.fields)


def scoped_choices(request: HttpRequest, model: type[models.Model]) -> QuerySet:
    """The rows of `model` a staff member may pick in a form: their tenant's, and nothing of a
    model this function does not know how to scope (deny by default)."""
    tenant = request.tenant
    if model is Tenant:
        return Tenant.objects.filter(pk=getattr(tenant, "pk", None))
    if issubclass(model, User):
        return User.objects.filter(
            Q(staff_memberships__tenant=tenant) | Q(contacts__tenant=tenant)
        ).distinct()
    if has_tenant_field(model):
        return model._default_manager.filter(tenant=tenant)
    return model._default_manager.none()


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A sidebar filter on a related field that lists only the staff member's tenant's rows
    (Django's own lists every row of the related table — another tenant's names included)."""

    def field_choices(self, field, request, model_admin):
        if is_platform_admin(request):
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return [
            (obj.pk, str(obj))
            for obj in scoped_choices(request, field.related_model).order_by(*ordering)
        ]


class _OnlyWellFormedSelected:
    """An autocomplete widget that shows again only the submitted values its key could hold.
    Django's looks every submitted value up to show it again beside the form's error, and a
    value such as "abc" for a numeric key ends in a ValueError there; the field itself reports
    it as an invalid choice."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        to_field = getattr(remote, "field_name", None)
        target = opts.get_field(to_field) if to_field else opts.pk
        value = [v for v in value if value_fits(target, str(v))]
        return super().optgroups(name, value, attr)


class WellFormedAutocompleteSelect(_OnlyWellFormedSelected, AutocompleteSelect):
    pass


class WellFormedAutocompleteSelectMultiple(_OnlyWellFormedSelected, AutocompleteSelectMultiple):
    pass


class BoundedChangeList(ChangeList):
    """A change list whose date-hierarchy and filter parameters, when malformed, send the
    visitor back to the plain list (Django's "?e=1") instead of a 500. Django turns a ValueError
    from an impossible date into that already, but not a year too large for a C long or for a
    datetime (OverflowError), nor a year whose first day leaves the datetime range once moved
    to UTC."""

    # Date parts a lookup in the query string may name, with the values a datetime can hold
    # in every time zone (the first and last years would leave the range once moved to UTC).
    DATE_PARTS = {
        "year": (2, 9998),
        "iso_year": (2, 9998),
        "month": (1, 12),
        "day": (1, 31),
        "week": (1, 53),
        "week_day": (1, 7),
        "iso_week_day": (1, 7),
        "quarter": (1, 4),
    }

    def get_filters(self, request: HttpRequest):
        for key, value in request.GET.items():
            # Any `<field>__year=…` (the date hierarchy's or typed by hand), also `__year__gte`.
            part = next((p for p in key.split("__")[1:] if p in self.DATE_PARTS), None)
            if part is not None:
                low, high = self.DATE_PARTS[part]
                if not (value.isdigit() and len(value) < 6 and low <= int(value) <= high):
                    raise IncorrectLookupParameters(key)
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc


def bounded_formfield(db_field: models.Field, formfield):
    """Integers the column cannot hold are a form error, not a database error: the bounds of
    PostgreSQL's integer types, whichever database runs (SQLite would take them, then fail)."""
    if isinstance(db_field, models.IntegerField) and isinstance(formfield, forms.IntegerField):
        low, high = BaseDatabaseOperations.integer_field_ranges.get(
            db_field.get_internal_type(), (None, None)
        )
        for bound, validator, attr in (
            (low, MinValueValidator, "min"),
            (high, MaxValueValidator, "max"),
        ):
            current = getattr(formfield, f"{attr}_value")
            if bound is not None and (
                current is None or (current < bound if attr == "min" else current > bound)
            ):
                setattr(formfield, f"{attr}_value", bound)
                formfield.validators.append(validator(bound))
                formfield.widget.attrs[attr] = bound
    return formfield


class TenantScopedAdmin(admin.ModelAdmin):
    """Subclasses name the role-matrix actions that gate them; `None` means nobody but a
    superuser (e.g. rows only the system creates). A model that belongs to a licence module
    names it in `licence_module`: while the business lacks it, the model is missing from the
    index and menus, and each of its addresses (its own views and those mixins add) is a 404."""

    view_action: str = ""
    add_action: str | None = None
    change_action: str | None = None
    delete_action: str | None = None
    audit_name: str = ""  # prefix of audit actions, e.g. "customer"
    licence_module: LicenceModule | None = None

    # --- licence ---------------------------------------------------------------------
    @property
    def urls(self):
        # Wrapped here, on the finished list, so the views every mixin adds are covered too.
        return [
            URLPattern(
                p.pattern,
                licence_admin_required(self.licence_module, p.callback),
                p.default_args,
                p.name,
            )
            if isinstance(p, URLPattern)
            else p
            for p in self.get_urls()
        ]

    def _licensed(self, request: HttpRequest) -> bool:
        return licence_admin_allows(request, self.licence_module)

    def get_inline_instances(self, request: HttpRequest, obj=None):
        return [
            inline
            for inline in super().get_inline_instances(request, obj)
            if licence_admin_allows(request, getattr(inline, "licence_module", None))
        ]

    # --- scoping -----------------------------------------------------------------------
    def scope(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return qs.filter(tenant=request.tenant)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if is_platform_admin(request):
            return qs
        if request.tenant is None:
            return qs.none()
        return self.scope(request, qs)

    def get_changelist(self, request: HttpRequest, **kwargs):
        return BoundedChangeList

    def _tenant_of(self, obj: models.Model) -> Tenant | None:
        return getattr(obj, "tenant", None)

    def _object_in_scope(self, request: HttpRequest, obj: models.Model | None) -> bool:
        if obj is None or is_platform_admin(request):
            return True
        tenant = self._tenant_of(obj)
        return tenant is not None and request.tenant is not None and tenant.pk == request.tenant.pk

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        # Outsiders get a 404 — never a "does not exist" redirect that differs from a real miss.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        return bounded_formfield(
            db_field, super().formfield_for_dbfield(db_field, request, **kwargs)
        )

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        kwargs.setdefault("form_class", WellFormedModelChoiceField)
        if not is_platform_admin(request):
            kwargs["queryset"] = scoped_choices(request, db_field.remote_field.model)
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = WellFormedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        kwargs.setdefault("form_class", WellFormedModelMultipleChoiceField)
        if not is_platform_admin(request):
            kwargs["queryset"] = scoped_choices(request, db_field.remote_field.model)
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = WellFormedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if is_platform_admin(request) or not self._has_tenant_field():
            return form
        tenant = request.tenant

        class TenantBoundForm(form):
            """Staff do not see the tenant field, yet constraints that include it (a customer
            number unique per tenant) must be checked as form errors, not end in a 500."""

            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                if self.instance.tenant_id is None:
                    self.instance.tenant = tenant

            def _get_validation_exclusions(self):
                exclusions = super()._get_validation_exclusions()
                exclusions.discard("tenant")
                return exclusions

        TenantBoundForm.__name__ = form.__name__
        return TenantBoundForm

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and self._has_tenant_field() and "tenant" not in readonly:
            # A row never moves to another tenant: its contacts, documents and audit trail
            # would stay behind, visible to the wrong business.
            readonly.append("tenant")
        return readonly

    # --- the tenant column, for superusers only -------------------------------------
    def get_list_display(self, request: HttpRequest):
        display = list(super().get_list_display(request))
        if is_platform_admin(request) and self._has_tenant_field():
            display.append("tenant")
        return display

    def get_list_filter(self, request: HttpRequest):
        filters = [self._scoped_filter(f) for f in super().get_list_filter(request)]
        if is_platform_admin(request) and self._has_tenant_field():
            filters.insert(0, "tenant")
        return filters

    def _scoped_filter(self, entry):
        if not isinstance(entry, str):
            return entry
        field = get_fields_from_path(self.model, entry)[-1]
        if field.is_relation:
            return (entry, ScopedRelatedFieldListFilter)
        return entry

    def get_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_fields(request, obj))
        if not is_platform_admin(request) and "tenant" in fields:
            fields.remove("tenant")
        return fields

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if is_platform_admin(request):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "tenant"]})
            for name, options in fieldsets
        ]

    def get_exclude(self, request: HttpRequest, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not is_platform_admin(request) and self._has_tenant_field():
            exclude.append("tenant")
        return exclude

    def _has_tenant_field(self) -> bool:
        return has_tenant_field(self.model)

    # --- permissions from the role matrix ------------------------------------------
    def _may(self, request: HttpRequest, action: str | None) -> bool:
        if not self._licensed(request):
            return False  # no links, buttons or related-object widgets to a module that is off
        if is_platform_admin(request):
            return True
        if not action or request.tenant is None:
            return False
        return may(request.user, action, tenant=request.tenant)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may(request, self.view_action)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return (
            self._may(request, self.view_action) or self.has_change_permission(request, obj)
        ) and self._object_in_scope(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may(request, self.add_action)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may(request, self.change_action) and self._object_in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may(request, self.delete_action) and self._object_in_scope(request, obj)

    # --- writes, audited -------------------------------------------------------------
    def save_formset(self, request: HttpRequest, form: ModelForm, formset, change: bool) -> None:
        # Rows added in an inline belong to the same tenant as the row they hang from.
        instances = formset.save(commit=False)
        tenant = self._tenant_of(form.instance) or request.tenant
        for obj in formset.deleted_objects:
            obj.delete()
        for obj in instances:
            if has_tenant_field(type(obj)) and getattr(obj, "tenant_id", None) is None:
                obj.tenant = tenant
            obj.save()
        formset.save_m2m()

    def _audit_name(self) -> str:
        return self.audit_name or self.model._meta.model_name

    def save_model(self, request: HttpRequest, obj, form: ModelForm, change: bool) -> None:
        if not is_platform_admin(request) and self._has_tenant_field():
            obj.tenant = request.tenant
        before = snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        # Written in save_related, once many-to-many fields and inlines are saved too.
        request._kontor_pending_audit = (obj, before, change)

    def save_related(self, request: HttpRequest, form: ModelForm, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        pending = getattr(request, "_kontor_pending_audit", None)
        if pending is None:
            return
        obj, before, change = pending
        del request._kontor_pending_audit
        after = snapshot(obj)
        for formset in formsets:  # inline rows added, changed or removed, by name
            changed = [str(o) for o in formset.new_objects]
            changed += [str(o) for o, _fields in formset.changed_objects]
            removed = [str(o) for o in formset.deleted_objects]
            if changed or removed:
                after[formset.prefix] = {"saved": changed, "removed": removed}
        audit_record(
            tenant=self._tenant_of(obj) or request.tenant,
            actor=request.user,
            action=f"{self._audit_name()}.{'change' if change else 'create'}",
            obj=obj,
            before=before,
            after=after,
        )

    def delete_model(self, request: HttpRequest, obj) -> None:
        self._audit_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self._audit_delete(request, obj)
        super().delete_queryset(request, queryset)

    def _audit_delete(self, request: HttpRequest, obj) -> None:
        audit_record(
            tenant=self._tenant_of(obj) or request.tenant,
            actor=request.user,
            action=f"{self._audit_name()}.delete",
            obj=obj,
            before=snapshot(obj),
        )


class ReadOnlyAdmin:
    """For records only services write (audit entries, issued credit notes): never added,
    changed or deleted in the back office, not even by superusers."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class CreatedByServiceAdmin(TenantScopedAdmin):
    """For rows whose creation is a service call (e.g. a person found or created by e-mail and
    given a role): on add, `create` does the whole write, audited; edits go the usual way."""

    def create(self, request: HttpRequest, data: dict) -> models.Model:
        raise TypeError(f"{type(self).__name__} must define create(request, data)")

    def save_form(self, request: HttpRequest, form: ModelForm, change: bool):
        if change:
            return super().save_form(request, form, change)
        return self.create(request, form.cleaned_data)

    def save_model(self, request: HttpRequest, obj, form: ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: ModelForm, formsets, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)
            return
        # The service wrote the new row and all it needs; inlines add nothing on creation
        # (the admin's change message still asks what they saved).
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class TenantScopedInline(admin.TabularInline):
    """An inline of tenant-owned rows on a tenant-scoped page: rows and choices scoped the same
    way, permissions from the role matrix (named like the admin's). An inline of a licence
    module (`licence_module`) is left off the page while the business lacks it."""

    view_action: str = ""
    add_action: str | None = None
    change_action: str | None = None
    delete_action: str | None = None
    licence_module: LicenceModule | None = None

    def _may(self, request: HttpRequest, action: str | None) -> bool:
        if not licence_admin_allows(request, self.licence_module):
            return False
        if is_platform_admin(request):
            return True
        if not action or request.tenant is None:
            return False
        return may(request.user, action, tenant=request.tenant)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if is_platform_admin(request):
            return qs
        return qs.filter(tenant=request.tenant) if request.tenant else qs.none()

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        return bounded_formfield(
            db_field, super().formfield_for_dbfield(db_field, request, **kwargs)
        )

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        kwargs.setdefault("form_class", WellFormedModelChoiceField)
        if not is_platform_admin(request):
            kwargs["queryset"] = scoped_choices(request, db_field.remote_field.model)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may(request, self.view_action) or self.has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may(request, self.add_action)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may(request, self.change_action)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may(request, self.delete_action)
