"""The form of a module's fields, built for one person: the portal's edit page, the back office
and (later) the checkout all use `module_data_form`.

Fields the person may not edit are left out of the form (pages show them as text); a posted
value for one of them is still handed to the service, which refuses the change (403).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.models import Tenant, User
from core.roles import SystemActor
from subscriptions.models import FieldKind, ModuleField
from subscriptions.models.fields import NUMBER_MAX_DIGITS
from subscriptions.module_data import field_label, module_field_editable

FIELD_PREFIX = "module_"


def form_field_name(field: ModuleField) -> str:
    return f"{FIELD_PREFIX}{field.key}"


class _StoredValueField(forms.Field):
    """Cleans through the definition (`ModuleField.to_stored`), the one rule for every kind."""

    def __init__(self, definition: ModuleField, **kwargs) -> None:
        self.definition = definition
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        return self.definition.to_stored(value)


class _ChoiceField(forms.ChoiceField):
    def __init__(self, definition: ModuleField, **kwargs) -> None:
        self.definition = definition
        blank = [("", "—")]
        super().__init__(choices=blank + [(c, c) for c in definition.choice_list()], **kwargs)
        self.error_messages["invalid_choice"] = _("Choose one of the choices offered.")


def _form_field(definition: ModuleField, label: str, required: bool) -> forms.Field:
    common = {"label": label, "required": required}
    kind = definition.kind
    if kind == FieldKind.CHOICE:
        return _ChoiceField(definition, **common)
    if kind == FieldKind.YES_NO:
        # Two answers and "not said": a checkbox could not tell "no" from "not answered".
        return forms.TypedChoiceField(
            choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))],
            coerce=lambda v: v == "yes",
            empty_value=None,
            **common,
        )
    attrs: dict[str, Any] = {}
    if kind == FieldKind.NUMBER:
        attrs = {"inputmode": "decimal" if definition.decimal_places else "numeric"}
        widget = forms.TextInput(attrs=attrs)
    elif kind == FieldKind.DATE:
        widget = forms.DateInput(attrs={"type": "date"})
    else:
        widget = forms.TextInput(attrs={"maxlength": definition.max_length})
    return _StoredValueField(definition, widget=widget, **common)


def _initial(definition: ModuleField, value: Any) -> Any:
    if value is None:
        return None
    if definition.kind == FieldKind.YES_NO:
        return "yes" if value else "no"
    if definition.kind == FieldKind.DATE:
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except (TypeError, ValueError):
            return value
    if definition.kind == FieldKind.NUMBER:
        try:
            return str(Decimal(value))[: NUMBER_MAX_DIGITS + 2]
        except Exception:
            return value
    return value


class ModuleDataForm(forms.Form):
    """Built by `module_data_form`; `values()` gives key → value for the service."""

    definitions: list[ModuleField]
    readonly: list[ModuleField]

    def values(self) -> dict[str, Any]:
        out = {d.key: self.cleaned_data.get(form_field_name(d)) for d in self.definitions}
        # A posted value for a field this person may not edit goes to the service as typed:
        # it refuses the change (PermissionDenied) unless the value stays what it was.
        for definition in self.readonly:
            name = self.add_prefix(form_field_name(definition))
            if self.data and name in self.data:
                out[definition.key] = self.data.get(name)
        return out

    def add_service_error(self, exc: ValidationError) -> None:
        """Put the service's errors (keyed by field key) on the form's fields."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        names = {d.key: form_field_name(d) for d in self.definitions}
        for key, errors in exc.error_dict.items():
            self.add_error(names.get(key), errors)


def module_data_form(
    *,
    fields: Sequence[ModuleField],
    actor: User | SystemActor | None,
    tenant: Tenant,
    customer_id: int,
    values: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    prefix: str | None = None,
) -> ModuleDataForm:
    """A form of the fields `actor` may edit for that customer, filled with `values` (key →
    stored value). Required fields are required; each kind is checked by its definition."""
    values = values or {}
    editable, readonly = [], []
    for definition in fields:
        allowed = module_field_editable(
            definition, actor=actor, tenant=tenant, customer_id=customer_id
        )
        (editable if allowed else readonly).append(definition)
    form = ModuleDataForm(data=data, prefix=prefix)
    form.definitions, form.readonly = editable, readonly
    for definition in editable:
        name = form_field_name(definition)
        form.fields[name] = _form_field(
            definition, field_label(definition, tenant), definition.required
        )
        form.initial[name] = _initial(definition, values.get(definition.key))
    return form
