"""Every page in five languages: the catalogues are complete and keep their placeholders."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES if code != "en"])
def test_every_string_is_translated_with_the_same_placeholders(language):
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as f:
        catalog = read_po(f, locale=language)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        target = message.string if isinstance(message.string, str) else message.string[0]
        if not target:
            problems.append(f"untranslated: {source!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {source!r}")
        elif sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
            problems.append(f"placeholders differ: {source!r} -> {target!r}")
    assert not problems, "\n".join(problems)
    assert len(catalog) > 100
