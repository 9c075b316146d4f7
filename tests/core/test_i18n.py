"""A process without compiled catalogues refuses to freeze English legal mentions into a French
invoice, says so at worker start, and costs nothing per finalization once they are there."""

import logging
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from celery.signals import worker_process_init
from django.core.exceptions import ImproperlyConfigured

from core.i18n import (
    CataloguesMissing,
    catalogues_missing,
    catalogues_missing_at_start,
    require_catalogues,
)

LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch")]
REVERSE_CHARGE = {"fr": "Autoliquidation", "de": "Steuerschuldnerschaft des Leistungsempfängers"}


def compile_catalogue(locale_path: Path, language: str) -> Path:
    catalog = Catalog(locale=language)
    catalog.add("Reverse charge", REVERSE_CHARGE[language])
    folder = locale_path / language / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "django.mo").open("wb") as mo_file:
        write_mo(mo_file, catalog)
    return folder / "django.mo"


@pytest.fixture
def locale_path(tmp_path, settings) -> Path:
    settings.LANGUAGES = LANGUAGES
    settings.LOCALE_PATHS = [tmp_path]
    return tmp_path


def test_the_suite_runs_with_every_catalogue_compiled():
    assert catalogues_missing() == [], "run `make messages` first"


def test_nothing_is_missing_when_every_language_but_the_source_is_compiled(locale_path):
    compile_catalogue(locale_path, "fr")
    compile_catalogue(locale_path, "de")

    assert catalogues_missing() == []
    require_catalogues()


def test_it_names_the_languages_without_a_compiled_catalogue(locale_path):
    compile_catalogue(locale_path, "de")
    (locale_path / "fr" / "LC_MESSAGES").mkdir(parents=True)
    (locale_path / "fr" / "LC_MESSAGES" / "django.po").write_text('msgid ""\nmsgstr ""\n')

    assert catalogues_missing() == ["fr"]


@pytest.mark.parametrize(
    "content", [b"", b"not a catalogue at all", b"\xde\x12\x04\x95"], ids=["empty", "text", "cut"]
)
def test_an_unreadable_catalogue_counts_as_missing(locale_path, content):
    compile_catalogue(locale_path, "fr")
    compile_catalogue(locale_path, "de").write_bytes(content)

    assert catalogues_missing() == ["de"]


def test_a_catalogue_in_any_of_the_locale_paths_will_do(locale_path, tmp_path_factory, settings):
    other = tmp_path_factory.mktemp("other-locale")
    compile_catalogue(locale_path, "fr")
    compile_catalogue(other, "de")
    settings.LOCALE_PATHS = [locale_path, other]

    assert catalogues_missing() == []


def test_finalizing_is_refused_naming_what_is_missing_and_how_to_fix_it(locale_path):
    compile_catalogue(locale_path, "de")

    with pytest.raises(CataloguesMissing) as refused:
        require_catalogues()

    assert isinstance(refused.value, ImproperlyConfigured)
    assert refused.value.languages == ["fr"]
    assert "for fr under " + str(locale_path) in str(refused.value)
    assert "make messages" in str(refused.value)


def test_after_the_first_success_it_reads_nothing_from_disk(locale_path):
    compile_catalogue(locale_path, "fr")
    compile_catalogue(locale_path, "de")
    require_catalogues()

    shutil.rmtree(locale_path / "de")

    require_catalogues()  # the verdict is kept: no disk access per finalization
    assert catalogues_missing() == ["de"]


def test_a_process_that_started_without_them_refuses_until_restarted(locale_path):
    """Django keeps the catalogues it loaded per process: compiling later does not reach them."""
    compile_catalogue(locale_path, "fr")
    with pytest.raises(CataloguesMissing):
        require_catalogues()

    compile_catalogue(locale_path, "de")

    assert catalogues_missing() == []
    with pytest.raises(CataloguesMissing):
        require_catalogues()
    catalogues_missing_at_start.cache_clear()  # what a restart does
    require_catalogues()


def test_a_worker_starting_without_them_logs_an_error(locale_path, caplog):
    compile_catalogue(locale_path, "fr")

    with caplog.at_level(logging.ERROR):
        worker_process_init.send(sender=None)

    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].name == "portal.celery"
    assert "No compiled translation catalogue (django.mo) for de" in errors[0].getMessage()


def test_a_worker_starting_with_them_logs_nothing(locale_path, caplog):
    compile_catalogue(locale_path, "fr")
    compile_catalogue(locale_path, "de")

    with caplog.at_level(logging.WARNING):
        worker_process_init.send(sender=None)

    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []
