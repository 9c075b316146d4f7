"""One convention per language for dates, numbers and money (the table in core/formats)."""

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.dates import format_date, format_skeleton
from babel.numbers import get_decimal_symbol, get_group_symbol
from django.conf import settings
from django.template import Context, Template
from django.utils import formats, translation

from core.dates import format_document_date
from core.money import babel_locale, format_money

DAY = date(2026, 11, 29)
MOMENT = datetime(2026, 11, 29, 14, 5)

# The table in core/formats/__init__.py, as it must come out.
CONVENTIONS = {
    "en": {
        "DATE_FORMAT": "29 Nov 2026",
        "SHORT_DATE_FORMAT": "29/11/2026",
        "DATETIME_FORMAT": "29 Nov 2026, 14:05",
        "SHORT_DATETIME_FORMAT": "29/11/2026, 14:05",
        "TIME_FORMAT": "14:05",
        "YEAR_MONTH_FORMAT": "November 2026",
        "number": "1,234,567.5",
        "money": "€1,234.50",
    },
    "fr": {
        "DATE_FORMAT": "29 novembre 2026",
        "SHORT_DATE_FORMAT": "29/11/2026",
        "DATETIME_FORMAT": "29 novembre 2026, 14:05",
        "SHORT_DATETIME_FORMAT": "29/11/2026 14:05",
        "TIME_FORMAT": "14:05",
        "YEAR_MONTH_FORMAT": "novembre 2026",
        "number": "1\u202f234\u202f567,5",
        "money": "1\u202f234,50\xa0€",
    },
    "de": {
        "DATE_FORMAT": "29.11.2026",
        "SHORT_DATE_FORMAT": "29.11.2026",
        "DATETIME_FORMAT": "29.11.2026, 14:05",
        "SHORT_DATETIME_FORMAT": "29.11.2026, 14:05",
        "TIME_FORMAT": "14:05",
        "YEAR_MONTH_FORMAT": "November 2026",
        "number": "1.234.567,5",
        "money": "1.234,50\xa0€",
    },
    "it": {
        "DATE_FORMAT": "29 nov 2026",
        "SHORT_DATE_FORMAT": "29/11/2026",
        "DATETIME_FORMAT": "29 nov 2026, 14:05",
        "SHORT_DATETIME_FORMAT": "29/11/2026, 14:05",
        "TIME_FORMAT": "14:05",
        "YEAR_MONTH_FORMAT": "Novembre 2026",
        "number": "1.234.567,5",
        "money": "1.234,50\xa0€",
    },
    "tr": {
        "DATE_FORMAT": "29 Kas 2026",
        "SHORT_DATE_FORMAT": "29.11.2026",
        "DATETIME_FORMAT": "29 Kas 2026 14:05",
        "SHORT_DATETIME_FORMAT": "29.11.2026 14:05",
        "TIME_FORMAT": "14:05",
        "YEAR_MONTH_FORMAT": "Kasım 2026",
        "number": "1.234.567,5",
        "money": "€1.234,50",
    },
}
DATE_NAMES = ["DATE_FORMAT", "SHORT_DATE_FORMAT", "YEAR_MONTH_FORMAT"]
MOMENT_NAMES = ["DATETIME_FORMAT", "SHORT_DATETIME_FORMAT", "TIME_FORMAT"]


def test_every_language_offered_has_its_convention():
    assert set(CONVENTIONS) == {code for code, _name in settings.LANGUAGES}


@pytest.mark.parametrize("language", CONVENTIONS)
def test_each_language_writes_dates_numbers_and_money_one_way(language):
    expected = CONVENTIONS[language]
    with translation.override(language):
        for name in DATE_NAMES:
            assert formats.date_format(DAY, name) == expected[name], name
        for name in MOMENT_NAMES:
            assert formats.date_format(MOMENT, name) == expected[name], name
        assert (
            formats.number_format(Decimal("1234567.5"), force_grouping=True) == expected["number"]
        )
        assert format_money(Decimal("1234.5"), "EUR", language) == expected["money"]


@pytest.mark.parametrize("language", CONVENTIONS)
def test_templates_print_dates_and_numbers_by_the_convention_unasked(language):
    expected = CONVENTIONS[language]
    template = Template(
        "{% load kontor %}{{ day }}|{{ day|date }}|{{ day|date:'SHORT_DATE_FORMAT' }}|{{ moment }}|"
        "{{ moment|time }}|{{ number|floatformat:'1g' }}|{{ amount|money:'EUR' }}|"
        "{{ day|document_date }}|{{ day|document_date:'compact' }}"
    )
    with translation.override(language):
        rendered = template.render(
            Context(
                {
                    "day": DAY,
                    "moment": MOMENT,
                    "number": Decimal("1234567.5"),
                    "amount": Decimal("1234.5"),
                }
            )
        )
    assert rendered.split("|") == [
        expected["DATE_FORMAT"],
        expected["DATE_FORMAT"],
        expected["SHORT_DATE_FORMAT"],
        expected["DATETIME_FORMAT"],
        expected["TIME_FORMAT"],
        expected["number"],
        expected["money"],
        expected["DATE_FORMAT"],  # documents and pages agree
        expected["SHORT_DATE_FORMAT"],
    ]


@pytest.mark.parametrize("language", CONVENTIONS)
def test_a_document_is_dated_in_its_own_language_whatever_the_pages(language):
    with translation.override("de" if language != "de" else "en"):
        assert format_document_date(DAY, language) == CONVENTIONS[language]["DATE_FORMAT"]


# CLDR's style each language's date follows (core/formats/__init__.py), and the months where
# Django's own month abbreviations differ from CLDR's, which the table names.
CLDR_DATE_STYLE = {"en": "medium", "fr": "long", "de": "medium", "it": "medium", "tr": "medium"}
DJANGO_NOT_CLDR = {("en", 9): ("Sep", "Sept")}


@pytest.mark.parametrize("language", CONVENTIONS)
def test_dates_are_cldrs_in_every_month(language):
    locale = babel_locale(language)
    with translation.override(language):
        for month in range(1, 13):
            for day in (date(2026, month, 1), date(2026, month, 28)):
                ours = formats.date_format(day, "DATE_FORMAT")
                cldr = format_date(day, CLDR_DATE_STYLE[language], locale=locale)
                if (language, month) in DJANGO_NOT_CLDR:
                    django_name, cldr_name = DJANGO_NOT_CLDR[language, month]
                    cldr = cldr.replace(cldr_name, django_name)
                assert ours == cldr
                short = format_skeleton("yMMdd", day, locale=locale)
                if language == "tr":  # CLDR's match drops the zeros: 1.1.2026
                    short = format_date(day, "dd.MM.y", locale=locale)
                assert formats.date_format(day, "SHORT_DATE_FORMAT") == short


@pytest.mark.parametrize("language", CONVENTIONS)
def test_numbers_use_the_separators_babel_puts_in_money(language):
    locale = babel_locale(language)
    with translation.override(language):
        assert formats.get_format("DECIMAL_SEPARATOR") == get_decimal_symbol(locale)
        assert formats.get_format("THOUSAND_SEPARATOR") == get_group_symbol(locale)


def test_bare_numbers_are_not_grouped_so_ids_in_urls_stay_whole():
    # core/formats: `/invoices/{{ invoice.pk }}/` must not become /invoices/1,234/.
    assert settings.USE_THOUSAND_SEPARATOR is False
    with translation.override("de"):
        assert Template("/invoices/{{ pk }}/").render(Context({"pk": 1234})) == "/invoices/1234/"


# --- no template writes a date pattern of its own -------------------------------------------------

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
# `|date:"…"` / `|time:"…"` with anything but one of the convention's names.
NAMED = {
    "DATE_FORMAT",
    "SHORT_DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "TIME_FORMAT",
    "YEAR_MONTH_FORMAT",
    "MONTH_DAY_FORMAT",
}
# Machine-readable or not a date: ISO 8601 for `<time datetime="…">`, the time zone's name.
ALLOWED = {"c", "e"}
FILTER_ARGUMENT = re.compile(r"""\|\s*(?:date|time)\s*:\s*(["'])(.*?)\1""")


def date_patterns_in(text: str) -> list[str]:
    return [
        pattern
        for _quote, pattern in FILTER_ARGUMENT.findall(text)
        if pattern not in NAMED | ALLOWED
    ]


def test_the_template_check_catches_a_pattern():
    assert date_patterns_in('{{ a|date:"Y-m-d" }} {{ b|time:\'H:i\' }} {{ c|date:"c" }}') == [
        "Y-m-d",
        "H:i",
    ]
    assert date_patterns_in('{{ a|date:"DATE_FORMAT" }}{{ a|date }}') == []


def test_no_template_writes_its_own_date_pattern():
    found = {
        str(path.relative_to(TEMPLATES_DIR)): patterns
        for path in TEMPLATES_DIR.rglob("*")
        if path.is_file() and path.suffix in {".html", ".txt", ".xml"}
        if (patterns := date_patterns_in(path.read_text(encoding="utf-8")))
    }
    assert found == {}, "name a format from core/formats instead"


def test_no_python_module_writes_a_date_for_people_with_strftime():
    """strftime stays for machine formats (e-invoice XML, gateway protocols); a date a person
    reads goes through `formats.date_format` (core/formats)."""
    root = Path(settings.BASE_DIR)
    machine = {
        "billing/documents/einvoice.py",  # EN 16931 dates, format 102
        "billing/payments/nestpay/simulator/xml_api.py",  # the bank's protocol
        "billing/payments/nestpay/simulator/state.py",
    }
    found = [
        str(path.relative_to(root))
        for app in ("core", "contracts", "subscriptions", "billing", "quotes", "portal")
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts
        if ".strftime(" in path.read_text(encoding="utf-8")
        if str(path.relative_to(root)) not in machine
    ]
    assert found == []


@pytest.mark.parametrize(
    ("value", "language", "shown"),
    [
        (Decimal("2.5000"), "en", "2.5"),
        (Decimal("1250.5000"), "de", "1.250,5"),
        (Decimal("1000.0000"), "en", "1,000"),
        (Decimal("0.0050"), "fr", "0,005"),
        (3, "tr", "3"),
        ("junk", "en", "junk"),
        (None, "en", ""),
    ],
)
def test_quantities_show_the_decimals_they_have_grouped(value, language, shown):
    with translation.override(language):
        rendered = Template("{% load kontor %}{{ v|quantity }}").render(Context({"v": value}))
    assert rendered == shown
