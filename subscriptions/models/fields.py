"""Module-specific fields: what a module asks to know about each subscription to it.

A module defines its fields (a phone service: the phone number and the number of lines; hosting:
the domain). The values live on the subscription, in `Subscription.module_data`, a JSON object of
field key → value, one entry per field that has a value:

- text: a string (at most `max_length` characters);
- number: a decimal written as a string ("3", "12.50"), so no float ever rounds it;
- choice: the chosen string, one of the field's choices;
- date: an ISO date string ("2026-11-29");
- yes/no: true or false.

A JSON object rather than a table of values: a subscription's page reads its values with the
subscription itself (no query per field, whatever the number of fields), a value is keyed by the
field's stable `key`, so relabelling a field keeps its values, and every write goes through one
service (`subscriptions.module_data`) that validates against the definitions, so nothing unchecked
reaches the column. A field that is deleted leaves its old values unread; the audit log keeps
their history.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import Tenant
from subscriptions.models.catalogue import Module

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
TEXT_MAX_LENGTH = 1000
NUMBER_MAX_DIGITS = 15
NUMBER_MAX_PLACES = 4


def _plain(number: Decimal | int) -> str:
    """A bound as people write it: 100, 2.5 (never 1E+2 or 2.5000)."""
    return format(Decimal(str(number)).normalize(), "f")


class FieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", pgettext_lazy("module field kind", "Number")
    CHOICE = "choice", _("Choice")
    DATE = "date", _("Date")
    YES_NO = "yes_no", _("Yes/no")


class FieldEditor(models.TextChoices):
    # Who may change the value; everyone who may see the subscription may read it.
    CUSTOMER = "customer", _("The customer (and staff)")
    STAFF = "staff", _("Staff (Billing and up)")
    MANAGER = "manager", _("Managers and owners")


class ModuleField(models.Model):
    """One field a module asks for on each subscription to it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    module = models.ForeignKey(
        Module, on_delete=models.CASCADE, related_name="fields", verbose_name=_("module")
    )
    key = models.SlugField(
        _("key"),
        max_length=50,
        help_text=_("Stable name of the value (letters, digits, - and _); keep it once in use."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=FieldKind.choices)
    label_en = models.CharField(_("label (English)"), max_length=200)
    label_fr = models.CharField(_("label (French)"), max_length=200, blank=True)
    label_de = models.CharField(_("label (German)"), max_length=200, blank=True)
    label_it = models.CharField(_("label (Italian)"), max_length=200, blank=True)
    label_tr = models.CharField(_("label (Turkish)"), max_length=200, blank=True)
    required = models.BooleanField(_("required"), default=False)
    editor = models.CharField(
        _("who may edit"), max_length=10, choices=FieldEditor.choices, default=FieldEditor.STAFF
    )
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("For a choice: one choice per line.")
    )
    max_length = models.PositiveSmallIntegerField(
        _("maximum length"),
        default=200,
        validators=[MinValueValidator(1), MaxValueValidator(TEXT_MAX_LENGTH)],
        help_text=_("For a text: the most characters it may have."),
    )
    min_value = models.DecimalField(
        _("minimum"), max_digits=NUMBER_MAX_DIGITS, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=NUMBER_MAX_DIGITS, decimal_places=4, null=True, blank=True
    )
    decimal_places = models.PositiveSmallIntegerField(
        _("decimal places"),
        default=0,
        validators=[MaxValueValidator(NUMBER_MAX_PLACES)],
        help_text=_("For a number: 0 for whole numbers."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("module field")
        verbose_name_plural = _("module fields")
        ordering = ["position", "id"]
        constraints = [
            # Values are stored under the key: two fields with one key would share a value.
            models.UniqueConstraint(fields=["module", "key"], name="module_field_key_once"),
        ]

    def __str__(self) -> str:
        return self.label_en

    def label(self, language: str | None = None, fallback: str | None = None) -> str:
        """The label in `language`, else in `fallback` (the business's language), else English."""
        for code in (language, fallback):
            code = (code or "").split("-")[0]
            if code in LANGUAGE_CODES and getattr(self, f"label_{code}", ""):
                return getattr(self, f"label_{code}")
        return self.label_en

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean(self) -> None:
        super().clean()
        if self.kind == FieldKind.CHOICE and not self.choice_list():
            raise ValidationError({"choices": _("A choice field needs at least one choice.")})
        if self.kind == FieldKind.CHOICE and len(set(self.choice_list())) != len(
            self.choice_list()
        ):
            raise ValidationError({"choices": _("Each choice may appear only once.")})
        if (
            self.min_value is not None
            and self.max_value is not None
            and self.min_value > self.max_value
        ):
            raise ValidationError({"max_value": _("The maximum is below the minimum.")})

    # --- values -----------------------------------------------------------------------------
    def to_stored(self, value: Any) -> Any:
        """Check a value (as typed in a form, or already a Python value) and return it as it is
        kept in `Subscription.module_data`; None means empty. Raises ValidationError."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if self.kind == FieldKind.TEXT:
            text = str(value).strip()
            if len(text) > self.max_length:
                raise ValidationError(
                    _("At most %(n)s characters."), params={"n": self.max_length}, code="long"
                )
            return text
        if self.kind == FieldKind.NUMBER:
            return self._number(value)
        if self.kind == FieldKind.CHOICE:
            if str(value) not in self.choice_list():
                raise ValidationError(_("Choose one of the choices offered."), code="choice")
            return str(value)
        if self.kind == FieldKind.DATE:
            if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
                return value.isoformat()
            try:
                return datetime.date.fromisoformat(str(value).strip()).isoformat()
            except ValueError:
                raise ValidationError(_("Enter a date like 2026-12-31."), code="date") from None
        if self.kind == FieldKind.YES_NO:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "1", "yes", "on"):
                return True
            if text in ("false", "0", "no", "off"):
                return False
            raise ValidationError(_("Answer yes or no."), code="yes_no")
        raise ValidationError(_("Unknown kind of field."), code="kind")

    def _number(self, value: Any) -> str:
        if isinstance(value, float | bool):
            raise ValidationError(_("Enter a number."), code="number")
        text = str(value).strip()
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # "2,5" as French, German, Italian and Turkish write it
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(_("Enter a number."), code="number") from None
        if not number.is_finite():
            raise ValidationError(_("Enter a number."), code="number")
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.decimal_places:
            if self.decimal_places == 0:
                raise ValidationError(_("Enter a whole number."), code="whole")
            raise ValidationError(
                _("At most %(n)s decimal places."), params={"n": self.decimal_places}, code="places"
            )
        if abs(number) >= Decimal(10) ** (NUMBER_MAX_DIGITS - NUMBER_MAX_PLACES):
            raise ValidationError(_("This number is too large."), code="large")
        if self.min_value is not None and number < self.min_value:
            raise ValidationError(
                _("At least %(n)s."), params={"n": _plain(self.min_value)}, code="min"
            )
        if self.max_value is not None and number > self.max_value:
            raise ValidationError(
                _("At most %(n)s."), params={"n": _plain(self.max_value)}, code="max"
            )
        return format(number.quantize(Decimal(1).scaleb(-self.decimal_places)), "f")
