"""Back office, in real Chromium: billing staff import customers from CSV, read the dry run's
report row by row (desktop and phone), and confirm it."""

import pytest

from contracts.models import Customer
from tests.e2e.conftest import tenant_url
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILE = (
    "number,name,billing_city,billing_country,vat_id,invoice_recipients\n"
    "A-1,Alpha Corp,Berlin,DE,,billing@alpha.test\n"
    "B-1,Bravo Corp,,,,\n"
    "N-1,Nova GmbH,Köln,DE,,\n"
    "N-2,Bad VAT AG,Bern,XX,DE123,not-an-address\n"
)


def test_billing_staff_try_an_import_read_its_report_and_confirm_it(
    world, live_server, page, shoot, tmp_path
):
    page.goto(tenant_url(live_server, "acme", "/manage/contracts/customer/"))
    page.fill("input[name=login]", "billing@acme.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.click("a.import_link")

    bad = tmp_path / "customers.csv"
    bad.write_text(FILE, encoding="utf-8")
    page.set_input_files("input[name=import_file]", str(bad))
    page.click("input[type=submit]")
    page.wait_for_selector(".import-report")
    assert page.locator(".import-report-rows tbody tr").count() == 4
    assert "1 row refused" in page.inner_text(".import-report-totals")
    assert page.locator("input[name=confirm]").count() == 0  # a refused row: nothing to confirm
    shoot("e2e-backoffice-import-refused")

    good = tmp_path / "customers-fixed.csv"
    good.write_text(FILE.rsplit("N-2", 1)[0], encoding="utf-8")
    page.set_input_files("input[name=import_file]", str(good))
    page.click("input[type=submit]")
    page.wait_for_selector("input[name=confirm]")
    assert "1 new, 1 updated, 1 unchanged" in page.inner_text(".import-report-totals")
    shoot("e2e-backoffice-import-dry-run")
    page.set_viewport_size({"width": 360, "height": 740})
    # Phones: every row a card, nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    shoot("e2e-backoffice-import-dry-run-phone")
    page.set_viewport_size({"width": 1280, "height": 860})

    page.click("input[name=confirm]")
    page.wait_for_selector(".messagelist >> text=Import done: 1 new, 1 updated, 1 unchanged.")
    assert Customer.objects.get(tenant=world.acme, number="N-1").billing_city == "Köln"
