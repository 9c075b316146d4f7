"""The dashboard in a real browser, on the demo data: every block there, in each of the five
languages (switched with the header's language menu, as a visitor does), on a desktop and on a
360 px phone with nothing wider than the screen. Screenshots under test-artifacts/."""

import pytest
from django.conf import settings
from django.core.management import call_command

from portal.demo import DEMO_PASSWORD
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKS = (
    "#dash-due",
    "#dash-next-charge",
    "#dash-payment-method",
    "#dash-subscriptions",
    "#dash-invoices",
    "#dash-quotes",
    "#dash-credits",
    "#dash-orders",
)
WELCOME = {
    "en": "Welcome",
    "fr": "Bienvenue",
    "de": "Willkommen",
    "it": "Benvenuto",
    "tr": "Hoş geldiniz",
}


def _log_in(page, live_server) -> None:
    page.goto(tenant_url(live_server, "acme", "/"))
    page.fill("input[name=login]", "customer1@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector("#dash-due")


def _no_sideways_scrolling(page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    wide = page.evaluate(
        """[...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
            .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the screen: {wide}"


def test_the_dashboard_in_five_languages_on_a_desktop_and_a_phone_then_pay(
    live_server, page, shoot
):
    call_command("seed_demo")
    _log_in(page, live_server)
    for block in BLOCKS:
        assert page.locator(block).is_visible(), block
    # The demo customer has subscriptions and invoices: the blocks show them, not empty states.
    assert page.locator("#dash-subscriptions .dash-sub").count() >= 1
    assert page.locator("#dash-invoices tbody tr").count() >= 1

    for code, _name in settings.LANGUAGES:
        if page.locator("html").get_attribute("lang") != code:
            with page.expect_navigation():
                page.select_option("#lang-select", code)
        assert page.locator("html").get_attribute("lang") == code
        welcome = page.locator("h1").inner_text()
        assert welcome.startswith(WELCOME[code]), welcome
        for block in BLOCKS:
            assert page.locator(block).is_visible(), f"{block} in {code}"
        page.set_viewport_size({"width": 1280, "height": 860})
        _no_sideways_scrolling(page)
        shoot(f"dashboard-{code}-1280")
        page.set_viewport_size({"width": 360, "height": 780})
        _no_sideways_scrolling(page)
        shoot(f"dashboard-{code}-360")
        page.set_viewport_size({"width": 1280, "height": 860})

    # Pay: the oldest open invoice's payment page.
    with page.expect_navigation():
        page.locator("#dash-due a.button").click()
    assert "/pay/" in page.url
