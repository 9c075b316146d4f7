"""A process without compiled catalogues refuses to freeze English legal mentions into a French
invoice, says so at worker start, and costs nothing per finalization once they are there."""

import logging
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from celery.signals import worker_process_init
from django.core.exceptions import ImproperlyConfigured

from billing.documents.models import Invoice, InvoiceStatus, TaxRate
from billing.documents.pdf import invoice_pdf
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.run.services import billing_run
from core.i18n import (
    CataloguesMissing,
    catalogues_missing,
    catalogues_missing_at_start,
    require_catalogues,
)
from core.roles import SYSTEM
from subscriptions.services import subscription_order
from tests.factories import CustomerFactory, TariffFactory

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


# The real paths, not require_catalogues() alone: finalizing by hand and the billing run both
# refuse in a process without the catalogues, and nothing is issued.


@pytest.fixture
def without_french(locale_path, world):
    """German compiled, French missing; a French customer of acme with a taxed rate."""
    compile_catalogue(locale_path, "de")
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal("19"), is_default=True)
    return CustomerFactory(tenant=world.acme, language="fr")


def test_invoice_finalize_refuses_and_the_invoice_stays_a_draft(without_french):
    draft = invoice_create_draft(customer=without_french, actor=SYSTEM, currency="EUR")
    invoice_add_line(
        invoice=draft,
        actor=SYSTEM,
        description="Helpdesk",
        quantity=Decimal("1"),
        unit_price=Decimal("100"),
        tax_rate=Decimal("19"),
    )

    with pytest.raises(CataloguesMissing):
        invoice_finalize(invoice=draft, actor=SYSTEM, today=date(2026, 3, 2))

    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT
    assert not draft.number
    assert draft.buyer in ({}, None)


def test_the_billing_run_refuses_and_issues_nothing(without_french):
    tariff = TariffFactory(module__tenant=without_french.tenant, price="50")
    subscription_order(
        customer=without_french, tariff=tariff, actor=SYSTEM, start_on=date(2026, 3, 1)
    )

    with pytest.raises(CataloguesMissing):
        billing_run(today=date(2026, 3, 2), tenant=without_french.tenant)

    assert not Invoice.objects.filter(customer=without_french).exists()


def test_an_invoice_finalized_before_gets_no_pdf_stored_without_them(world, tmp_path, settings):
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal("19"), is_default=True)
    draft = invoice_create_draft(
        customer=CustomerFactory(tenant=world.acme, language="fr"), actor=SYSTEM, currency="EUR"
    )
    invoice_add_line(
        invoice=draft,
        actor=SYSTEM,
        description="Helpdesk",
        quantity=Decimal("1"),
        unit_price=Decimal("100"),
        tax_rate=Decimal("19"),
    )
    invoice = invoice_finalize(invoice=draft, actor=SYSTEM, today=date(2026, 3, 2))
    settings.LANGUAGES = LANGUAGES
    settings.LOCALE_PATHS = [tmp_path]
    compile_catalogue(tmp_path, "de")

    with pytest.raises(CataloguesMissing):
        invoice_pdf(invoice)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
    assert not invoice.pdf
