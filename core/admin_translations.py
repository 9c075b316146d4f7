"""Back-office entry of catalogue texts in each language (core.models.translated).

The page keeps the business's own fields (`name`, `description`: its default language, required
as before) and adds one group per other language with that language's texts, e.g. "Français:
name, description". Left empty, a text falls back to the business's language."""

from __future__ import annotations

import copy

from django import forms
from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.models.translated import TranslatedTexts, clean_translations


def translated_field_name(field: str, language: str) -> str:
    return f"{field}_{language}"


def translation_form_fields(
    model: type[TranslatedTexts], *, compact: bool = False
) -> dict[str, forms.Field]:
    """One optional form field per translated field and offered language (`compact`: narrow
    inputs, for a table's columns)."""
    declared: dict[str, forms.Field] = {}
    for language, language_name in settings.LANGUAGES:
        for field in model.TRANSLATED_FIELDS:
            model_field = model._meta.get_field(field)
            label = f"{model_field.verbose_name} ({language_name})"
            if isinstance(model_field, models.TextField):
                declared[translated_field_name(field, language)] = forms.CharField(
                    label=label,
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
            else:
                declared[translated_field_name(field, language)] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=model_field.max_length,
                    widget=forms.TextInput(attrs={"size": 12 if compact else 40}),
                )
    return declared


class TranslatedTextsForm(forms.ModelForm):
    """Fills each language's fields from `translations` and writes them back on clean. The
    business's default language is the model's own fields: a translation under that language
    would shadow them, so none is kept."""

    compact = False  # a table's row: every text input narrow, so the columns fit the page

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.compact:
            for form_field in self.fields.values():
                if isinstance(form_field.widget, forms.TextInput | forms.NumberInput):
                    form_field.widget.attrs.update({"size": 12, "class": ""})
        for language, _name in settings.LANGUAGES:
            for field in self._meta.model.TRANSLATED_FIELDS:
                name = translated_field_name(field, language)
                if name in self.fields and not self.is_bound:
                    entry = (self.instance.translations or {}).get(language) or {}
                    self.fields[name].initial = entry.get(field, "")

    def clean(self):
        data = super().clean()
        fields = self._meta.model.TRANSLATED_FIELDS
        tenant = getattr(self.instance, "tenant", None) if self.instance.tenant_id else None
        tenant = tenant or data.get("tenant")
        default = tenant.locale if tenant is not None else None
        entered = {
            language: {
                field: data.get(translated_field_name(field, language)) or "" for field in fields
            }
            for language, _name in settings.LANGUAGES
            if language != default
        }
        self.instance.translations = clean_translations(entered, fields)
        return data


def translated_form(
    model: type[TranslatedTexts],
    base: type[forms.ModelForm] = TranslatedTextsForm,
    *,
    compact: bool = False,
):
    """A ModelForm class for `model` declaring its translation fields (the admin's
    `fields`/`fieldsets` may then name them)."""
    if not issubclass(base, TranslatedTextsForm):
        base = type("Translated" + base.__name__, (TranslatedTextsForm, base), {})
    return type(
        f"{model.__name__}TranslatedForm",
        (base,),
        {
            **translation_form_fields(model, compact=compact),
            "compact": compact,
            "__module__": __name__,
        },
    )


def _default_language(request: HttpRequest, obj) -> str | None:
    tenant = getattr(obj, "tenant", None) if obj is not None else None
    tenant = tenant or getattr(request, "tenant", None)
    return tenant.locale if tenant is not None else None


class TranslatedTextsAdmin:
    """A ModelAdmin mixin: one group per language other than the business's, after the page's
    own groups. Use with `form = translated_form(Model)`."""

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        default = _default_language(request, obj)
        if default is None:
            return form
        # The page's own fields say which language they hold (a copy: fields are shared).
        language_name = dict(settings.LANGUAGES).get(default, default)
        for field in self.model.TRANSLATED_FIELDS:
            if field in form.base_fields:
                copied = copy.deepcopy(form.base_fields[field])
                copied.help_text = _("In the business's language (%(language)s).") % {
                    "language": language_name
                }
                form.base_fields[field] = copied
        return form

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        default = _default_language(request, obj)
        fields = self.model.TRANSLATED_FIELDS
        return fieldsets + [
            (
                language_name,
                {
                    "fields": [translated_field_name(field, language) for field in fields],
                    "description": _("Empty: the text in the business's language is shown."),
                },
            )
            for language, language_name in settings.LANGUAGES
            if language != default
        ]


class TranslatedTextsInline:
    """An inline mixin (tabular): one column per language other than the business's, after
    the translated field."""

    def get_fields(self, request: HttpRequest, obj=None):
        fields = list(super().get_fields(request, obj))
        default = _default_language(request, obj)
        for field in reversed(self.model.TRANSLATED_FIELDS):
            if field not in fields:
                continue
            at = fields.index(field) + 1
            fields[at:at] = [
                translated_field_name(field, language)
                for language, _name in settings.LANGUAGES
                if language != default
            ]
        return fields
