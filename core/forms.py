"""Form fields every app uses."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.translation import gettext_lazy as _

from core.validators import validate_email_list


class EmailListField(forms.CharField):
    """A list of e-mail addresses, one per line (commas work too), stored as a JSON list."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *, max_addresses: int = 10, **kwargs) -> None:
        self.max_addresses = max_addresses
        kwargs.setdefault("help_text", _("One e-mail address per line."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def to_python(self, value) -> list[str]:
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        text = super().to_python(value) or ""
        addresses: list[str] = []
        for part in text.replace(",", "\n").splitlines():
            address = part.strip().lower()
            if address and address not in addresses:
                addresses.append(address)
        return addresses

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        validate_email_list(value)
        if len(value) > self.max_addresses:
            raise ValidationError(
                _("At most %(n)s addresses."), params={"n": self.max_addresses}, code="too_many"
            )

    def has_changed(self, initial, data) -> bool:
        return (initial or []) != self.to_python(data)


def value_fits(field: models.Field, raw: str) -> bool:
    """Whether `raw` (from a URL or a form) can be a value of the key `field`: for an integer
    key, a number as written by the admin itself (no sign, no leading zeros), from 1 — auto
    keys never hand out less — up to what the column holds."""
    try:
        value = field.to_python(raw)
    except ValidationError:
        return False
    if isinstance(field, models.IntegerField):
        _lowest, highest = BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
        return str(value) == raw and 1 <= value <= highest
    return True


class WellFormedModelChoiceField(forms.ModelChoiceField):
    """Refuses, as an invalid choice, an id its key could never hold, before it reaches a query."""

    def to_python(self, value):
        if value not in self.empty_values:
            opts = self.queryset.model._meta
            target = opts.get_field(self.to_field_name) if self.to_field_name else opts.pk
            if not value_fits(target, str(value)):
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class WellFormedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses, as an invalid value, an id its key could never hold, before it reaches a query
    (SQLite cannot even bind an integer beyond 64 bits)."""

    def _check_values(self, value):
        opts = self.queryset.model._meta
        target = opts.get_field(self.to_field_name) if self.to_field_name else opts.pk
        if not isinstance(value, list | tuple):
            value = [value]
        for raw in value:
            if not value_fits(target, str(raw)):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": raw},
                )
        return super()._check_values(value)
