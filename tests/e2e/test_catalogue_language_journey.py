"""Globex writes its catalogue in French and translates it: its French customer orders from a
French catalogue and gets French invoice lines (PDF rendered and looked at as an image), while
the same pages in German show the German names; staff find each language's group in the back
office."""

import shutil
import subprocess

import pytest
from django.conf import settings
from django.core.management import call_command

from billing.documents.pdf import render_invoice_pdf
from billing.models import Invoice
from contracts.models import Contact
from portal.demo import DEMO_PASSWORD
from tests.e2e.conftest import ARTIFACTS, tenant_url
from tests.helpers import pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "customer1@globex.test"  # G-2001, reads French


def log_in(page, email: str) -> None:
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")


def use_language(page, live_server, language: str) -> None:
    """What the portal's language switch leaves behind: its cookie."""
    page.context.add_cookies(
        [
            {
                "name": settings.LANGUAGE_COOKIE_NAME,
                "value": language,
                "url": tenant_url(live_server, "globex"),
            }
        ]
    )


def test_a_french_customer_reads_the_catalogue_and_invoices_in_french(live_server, page, shoot):
    call_command("seed_demo")
    customer = Contact.objects.get(user__email=CUSTOMER).customer
    assert customer.language == "fr"

    use_language(page, live_server, "fr")  # the browser asks for en-GB
    page.goto(tenant_url(live_server, "globex", "/order/"))
    log_in(page, CUSTOMER)
    page.wait_for_selector("h2:has-text('Sauvegarde cloud')")
    text = page.text_content("main")  # with the folded add-on options
    assert "Coaching mensuel" in text and "100 Go supplémentaires" in text
    assert "Cloud backup" not in text
    shoot("e2e-catalogue-fr")
    page.set_viewport_size({"width": 360, "height": 780})
    page.reload()
    shoot("e2e-catalogue-fr-phone")
    page.set_viewport_size({"width": 1280, "height": 860})

    page.goto(tenant_url(live_server, "globex", "/"))
    page.wait_for_selector("text=Coaching mensuel")
    shoot("e2e-dashboard-catalogue-fr")

    # The same business's catalogue read in German (the language switch sets the cookie).
    use_language(page, live_server, "de")
    page.goto(tenant_url(live_server, "globex", "/order/"))
    page.wait_for_selector("h2:has-text('Cloud-Backup')")
    assert "Zusätzliche 100 GB" in page.text_content("main")
    shoot("e2e-catalogue-de")

    invoice = (
        Invoice.objects.filter(customer=customer, subscription__isnull=False)
        .exclude(number="")
        .order_by("-issue_date", "-id")
        .first()
    )
    descriptions = [line.description for line in invoice.lines.all()]
    assert any(d.startswith("Sauvegarde cloud — 50 Go") for d in descriptions) or any(
        d.startswith("Coaching — Coaching mensuel") for d in descriptions
    ), descriptions
    content = render_invoice_pdf(invoice)
    words = pdf_text(content)
    assert "Facture" in words
    assert "Sauvegarde cloud" in words or "Coaching mensuel" in words
    assert "Cloud backup" not in words and "Monthly coaching" not in words
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "e2e-invoice-fr.pdf"
    pdf.write_bytes(content)
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is not None:  # a look at the page: test-artifacts/e2e-invoice-fr.png
        subprocess.run(  # noqa: S603 — fixed arguments, our own file
            [pdftoppm, "-png", "-r", "80", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
            check=True,
            timeout=60,
        )


def test_staff_find_a_group_per_language_in_the_back_office(live_server, page, shoot):
    call_command("seed_demo")
    page.goto(tenant_url(live_server, "globex", "/manage/subscriptions/module/"))
    log_in(page, "manager@globex.test")
    page.click("#result_list a:has-text('Sauvegarde cloud')")
    page.wait_for_selector("input[name=name_en]")
    assert page.input_value("input[name=name_en]") == "Cloud backup"
    assert page.input_value("input[name=name_de]") == "Cloud-Backup"
    assert page.locator("input[name=name_fr]").count() == 0  # French is the module's own name
    shoot("e2e-backoffice-module-languages")
    # A tariff's price items: one column per other language beside the business's own.
    page.goto(tenant_url(live_server, "globex", "/manage/subscriptions/tariff/"))
    # Its name follows the staff member's language (English here), like every page's.
    page.click("#result_list a:has-text('Cloud backup — 50 GB')")
    page.wait_for_selector("input[name=prices-0-description_en]")
    assert page.input_value("input[name=prices-0-description_en]") == "50 GB"
    assert page.input_value("input[name=name_en]") == "50 GB"
    shoot("e2e-backoffice-tariff-languages")
