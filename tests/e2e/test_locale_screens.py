"""Dates and money in a real browser, on the demo data, in each of the five languages: the
invoices page and an invoice, as the language menu leaves them (core/formats), on a desktop and
a 360 px phone; then the choice following the person to another browser that asks for another
language, and the language page. Screenshots under test-artifacts/locale-*."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import formats, translation

from billing.models import Invoice
from core.money import format_money
from portal.demo import DEMO_PASSWORD
from tests.e2e.conftest import ARTIFACTS, tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOGIN = "customer1@acme.test"


def _log_in(page, live_server) -> None:
    page.goto(tenant_url(live_server, "acme", "/accounts/login/"))
    page.fill("input[name=login]", LOGIN)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("#main")


def _newest_invoice() -> Invoice:
    return (
        Invoice.objects.filter(customer__contacts__user__email=LOGIN, number__gt="")
        .exclude(status__in=["draft", "void"])
        .order_by("-issue_date", "-pk")
        .first()
    )


def test_invoices_in_five_languages_then_the_choice_follows_the_person(
    live_server, chromium, page, shoot
):
    call_command("seed_demo")
    _log_in(page, live_server)
    invoice = _newest_invoice()
    assert invoice is not None
    for code, _name in settings.LANGUAGES:
        page.goto(tenant_url(live_server, "acme", "/invoices/"))
        if page.locator("html").get_attribute("lang") != code:
            with page.expect_navigation():
                page.select_option("#lang-select", code)
        assert page.locator("html").get_attribute("lang") == code
        with translation.override(code):
            issued = formats.date_format(invoice.issue_date)
        total = format_money(invoice.gross_amount, invoice.currency, code)
        row = page.locator("tr", has_text=invoice.number).first
        text = row.inner_text()
        assert issued in text and total.replace("\xa0", " ") in text.replace("\xa0", " "), text
        page.set_viewport_size({"width": 1280, "height": 860})
        shoot(f"locale-invoices-{code}-1280")
        page.goto(tenant_url(live_server, "acme", f"/invoices/{invoice.pk}/"))
        assert issued in page.locator("main").inner_text()
        shoot(f"locale-invoice-{code}-1280")
        page.set_viewport_size({"width": 360, "height": 780})
        shoot(f"locale-invoice-{code}-360")
        page.set_viewport_size({"width": 1280, "height": 860})

    # The last choice (Türkçe) is saved with the login: another browser, asking for German,
    # still gets Turkish.
    context = chromium.new_context(viewport={"width": 1280, "height": 860}, locale="de-DE")
    other = context.new_page()
    try:
        _log_in(other, live_server)
        assert other.locator("html").get_attribute("lang") == "tr"
        other.goto(tenant_url(live_server, "acme", "/accounts/language/"))
        assert other.locator("#id_language").input_value() == "tr"
        other.screenshot(path=str(ARTIFACTS / "locale-language-page-tr-1280.png"), full_page=True)
        # Back to the browser's choice: the page follows German from then on.
        other.select_option("#id_language", "")
        with other.expect_navigation():
            other.click("main form button[type=submit]")
        assert other.locator("html").get_attribute("lang") == "de"
        other.screenshot(path=str(ARTIFACTS / "locale-language-page-de-1280.png"), full_page=True)
    finally:
        context.close()
