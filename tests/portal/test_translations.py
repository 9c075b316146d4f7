"""Every page in five languages: the catalogues (locale/*/LC_MESSAGES/django.po, edited with any
gettext tool) are complete, reviewed, hold no leftovers and keep their placeholders."""

import io
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
TRANSLATED = [code for code, _ in settings.LANGUAGES if code != "en"]
# A directive as Python's % operator reads it: %(name)s, %d, %-5.2f, %%.
PRINTF = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")


class BrokenFormat(ValueError):
    pass


def placeholders(text: str, flags: set[str]) -> list[str]:
    """The placeholders a translation must carry over, by the formats xgettext flagged."""
    found = []
    if "python-format" in flags:
        if "%" in PRINTF.sub("", text):
            # A lone % makes `gettext(…) % values` raise at run time.
            raise BrokenFormat(f"a % that is no placeholder in {text!r}")
        found += [directive for directive in PRINTF.findall(text) if directive != "%%"]
    if "python-brace-format" in flags:
        try:
            fields = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise BrokenFormat(f"{exc} in {text!r}") from exc
        found += [
            f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
            for _, name, spec, conversion in fields
            if name is not None
        ]
    return sorted(found)


def catalogue_problems(catalog: Catalog) -> list[str]:
    problems = [f"obsolete (#~): {message.id!r}" for message in catalog.obsolete.values()]
    for message in catalog:
        if not message.id:
            continue  # the header
        sources = message.id if message.pluralizable else (message.id,)
        # Babel pads a plural entry to the language's number of forms, so a missing form is "".
        targets = message.string if message.pluralizable else (message.string,)
        if not all(targets):
            problems.append(f"untranslated: {sources[0]!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {sources[0]!r}")
        try:
            expected = [placeholders(source, message.flags) for source in sources]
            for target in targets:
                # A form may stand for the singular or for the plural (Turkish has one form).
                if placeholders(target, message.flags) not in expected:
                    problems.append(f"placeholders differ: {sources[0]!r} -> {target!r}")
        except BrokenFormat as exc:
            problems.append(f"broken placeholder: {exc}")
    return problems


def read_catalogue(language: str) -> Catalog:
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as f:
        return read_po(f, locale=language, abort_invalid=True)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_is_translated_reviewed_and_keeps_its_placeholders(language):
    catalog = read_catalogue(language)

    problems = catalogue_problems(catalog)
    assert not problems, "\n".join(problems)
    assert len(catalog) > 100  # the real catalogue, not an empty file


def test_every_catalogue_holds_the_same_strings():
    """`make makemessages` updates all of them; a catalogue left behind lacks the new strings."""
    ids = {
        language: {message.id for message in read_catalogue(language)} for language in TRANSLATED
    }

    assert all(found == ids[TRANSLATED[0]] for found in ids.values())


HEADER = r"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\n"

"""


def problems_in(entry: str) -> list[str]:
    return catalogue_problems(read_po(io.BytesIO((HEADER + entry).encode()), locale="fr"))


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('msgid "Invoice"\nmsgstr ""\n', "untranslated: 'Invoice'"),
        ('#, fuzzy\nmsgid "Invoice"\nmsgstr "Facture"\n', "fuzzy: 'Invoice'"),
        ('#~ msgid "Invoice"\n#~ msgstr "Facture"\n', "obsolete (#~): 'Invoice'"),
        (
            '#, python-format\nmsgid "Invoice %(number)s"\nmsgstr "Facture %(numero)s"\n',
            "placeholders differ: 'Invoice %(number)s' -> 'Facture %(numero)s'",
        ),
        (
            '#, python-format\nmsgid "%(count)d days"\nmsgstr "%(count)s jours"\n',
            "placeholders differ: '%(count)d days' -> '%(count)s jours'",
        ),
        (
            '#, python-format\nmsgid "VAT %(rate)s %%"\nmsgstr "TVA %(rate)s %"\n',
            "broken placeholder: a % that is no placeholder in 'TVA %(rate)s %'",
        ),
        (
            "#, python-brace-format\n"
            'msgid "The format must contain {number}."\n'
            'msgstr "Le format doit contenir {numero}."\n',
            "placeholders differ: 'The format must contain {number}.' -> "
            "'Le format doit contenir {numero}.'",
        ),
        (
            '#, python-brace-format\nmsgid "e.g. {number:06d}"\nmsgstr "par ex. {number:6d}"\n',
            "placeholders differ: 'e.g. {number:06d}' -> 'par ex. {number:6d}'",
        ),
        (
            "#, python-format\n"
            'msgid "%(count)d invoice"\n'
            'msgid_plural "%(count)d invoices"\n'
            'msgstr[0] "%(count)d facture"\n'
            'msgstr[1] "%(total)d factures"\n',
            "placeholders differ: '%(count)d invoice' -> '%(total)d factures'",
        ),
        (
            "#, python-format\n"
            'msgid "%(count)d invoice"\n'
            'msgid_plural "%(count)d invoices"\n'
            'msgstr[0] "%(count)d facture"\n',
            "untranslated: '%(count)d invoice'",
        ),
    ],
    ids=[
        "untranslated",
        "fuzzy",
        "obsolete",
        "renamed",
        "other-conversion",
        "lone-percent",
        "brace-renamed",
        "brace-spec",
        "plural-form",
        "missing-plural-form",
    ],
)
def test_the_check_reports(entry, problem):
    assert problems_in(entry) == [problem]


def test_the_check_passes_a_sound_catalogue():
    entries = (
        '#, python-format\nmsgid "Invoice %(number)s"\nmsgstr "Facture %(number)s"\n\n'
        'msgid "VAT (%)"\nmsgstr "TVA (%)"\n\n'
        '#, python-format\nmsgid "VAT %(rate)s %%"\nmsgstr "TVA %(rate)s %%"\n\n'
        '#, python-brace-format\nmsgid "e.g. {number:06d}"\nmsgstr "par ex. {number:06d}"\n\n'
        "#, python-format\n"
        'msgid "One invoice"\n'
        'msgid_plural "%(count)d invoices"\n'
        'msgstr[0] "%(count)d facture"\n'
        'msgstr[1] "%(count)d factures"\n'
    )

    assert problems_in(entries) == []
