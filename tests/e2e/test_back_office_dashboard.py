"""The back office's home page with the dashboard, on the demo data, on a desktop and a phone."""

import pytest
from django.core.management import call_command

from portal.demo import DEMO_PASSWORD
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, slug: str, email: str) -> None:
    page.goto(tenant_url(live_server, slug, "/manage/"))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_selector(".ki-dashboard")


@pytest.mark.parametrize("slug", ["acme", "globex"])
def test_staff_see_the_charts_on_a_desktop_and_a_phone(live_server, page, shoot, slug):
    call_command("seed_demo", nestpay_simulator="")
    _log_in(page, live_server, slug, f"support@{slug}.test")
    # Seven charts, each drawn unless it has nothing to show (dunning: the demo's recovery)
    assert page.locator("figure.ki-chart").count() == 7
    assert page.locator("figure.ki-chart svg[role=img]").count() >= 4
    assert page.locator("figure.ki-chart details table").count() == 7
    assert page.locator("#chart-mrr .ki-line").count() == 1
    assert page.locator("#chart-revenue rect").count() > 0
    # The data table opens for exact figures
    page.locator("#chart-revenue summary").click()
    assert page.locator("#chart-revenue table tbody tr").count() == 12
    shoot(f"e2e-backoffice-dashboard-{slug}-desktop")
    page.set_viewport_size({"width": 360, "height": 780})
    page.reload()
    page.wait_for_selector(".ki-dashboard")
    # Nothing wider than the phone's screen
    assert page.evaluate("document.querySelector('.ki-dashboard').scrollWidth") <= 360
    shoot(f"e2e-backoffice-dashboard-{slug}-phone")
