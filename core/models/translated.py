"""Catalogue texts in the five languages: a module's, tariff's, option's, package's or
department's name and description, entered by staff once per language.

The text in the business's default language stays in its own column (`name`, `description`),
required as before; the other languages' texts sit beside it in one JSON column,
`{"fr": {"name": "…", "description": "…"}, "de": {…}}`. A text is read in one language with
`text_in(field, language)`; `localized_<field>` reads it in the active language (pages render
under the page's language, documents under `translation.override(customer's language)`).
An empty translation falls back to the default language's text, then to any language's filled
one, so nothing ever shows blank that some language has.

Why not django-modeltranslation, the usual library: its default language and its fallbacks are
settings of the whole process (MODELTRANSLATION_DEFAULT_LANGUAGE, _FALLBACK_LANGUAGES), while
Kontor's default language is each business's own (`Tenant.locale`: Globex French, Acme
English), and it is that language's text which must stay required and be fallen back to. It also
swaps every registered model's manager for one that rewrites `filter`, `order_by` and `values`
on `name` to the active language's column: the catalogue's orderings (`module__name`), the
admin's searches and the billing run's reads would then change with whoever's language is
active. One column per model keeps reads in one row (the billing run's `select_related`
brings every language with it, no per-line query), leaves `name` meaning what it always meant,
and adds no 40 columns to migrate.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


def language_code(language: str | None) -> str:
    """ "fr-ch" → "fr": the catalogue keeps one text per language, not per region."""
    return (language or "").split("-")[0].lower()


def pick_text(default: str, translations: dict, field: str, language: str | None) -> str:
    """The text of `field` in `language`: its translation, else the default language's text
    (`default`), else the first language's filled one (settings.LANGUAGES' order)."""
    if isinstance(translations, dict):
        entry = translations.get(language_code(language))
        if isinstance(entry, dict) and entry.get(field):
            return str(entry[field])
    if default:
        return default
    if isinstance(translations, dict):
        for code, _name in settings.LANGUAGES:
            entry = translations.get(code)
            if isinstance(entry, dict) and entry.get(field):
                return str(entry[field])
    return default or ""


def clean_translations(value: dict, fields: tuple[str, ...]) -> dict:
    """Keeps the offered languages' filled texts of the translated fields, stripped; drops the
    rest (unknown languages or fields, empty texts), so an empty translation falls back."""
    languages = {code for code, _name in settings.LANGUAGES}
    cleaned: dict[str, dict[str, str]] = {}
    if not isinstance(value, dict):
        return cleaned
    for code, entry in value.items():
        if language_code(code) not in languages or not isinstance(entry, dict):
            continue
        texts = {
            field: str(entry[field]).strip()
            for field in fields
            if isinstance(entry.get(field), str) and entry[field].strip()
        }
        if texts:
            cleaned.setdefault(language_code(code), {}).update(texts)
    return cleaned


class TranslatedTexts(models.Model):
    """A model whose `TRANSLATED_FIELDS` are entered in each language (see the module)."""

    TRANSLATED_FIELDS: tuple[str, ...] = ("name", "description")

    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        help_text=_(
            "The texts in the other languages. Empty: the text in the business's language."
        ),
    )

    class Meta:
        abstract = True

    def text_in(self, field: str, language: str | None) -> str:
        return pick_text(getattr(self, field), self.translations, field, language)

    def texts_of(self, field: str) -> dict[str, str]:
        """The field's filled translations, by language (snapshots keep them)."""
        return {
            code: entry[field]
            for code, entry in (self.translations or {}).items()
            if isinstance(entry, dict) and entry.get(field)
        }

    def set_text(self, field: str, language: str, text: str) -> None:
        """Sets one translation ("" removes it); `save()` is the caller's."""
        translations = dict(self.translations or {})
        entry = dict(translations.get(language, {}))
        if text.strip():
            entry[field] = text.strip()
        else:
            entry.pop(field, None)
        if entry:
            translations[language] = entry
        else:
            translations.pop(language, None)
        self.translations = translations

    @property
    def localized_name(self) -> str:
        return self.text_in("name", translation.get_language())

    @property
    def localized_description(self) -> str:
        return self.text_in("description", translation.get_language())
