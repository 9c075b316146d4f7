"""Form fields every app uses."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _


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
        bad = []
        for address in value:
            try:
                validate_email(address)
            except ValidationError:
                bad.append(address)
        if bad:
            raise ValidationError(
                _("Not an e-mail address: %(addresses)s"),
                params={"addresses": ", ".join(bad)},
                code="invalid",
            )
        if len(value) > self.max_addresses:
            raise ValidationError(
                _("At most %(n)s addresses."), params={"n": self.max_addresses}, code="too_many"
            )

    def has_changed(self, initial, data) -> bool:
        return (initial or []) != self.to_python(data)
