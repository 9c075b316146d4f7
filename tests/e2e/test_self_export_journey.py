"""A customer exports their data: the CSV links, then the ZIP of PDFs, whose progress bar the
page keeps up to date (static/js/progress.js polling the job) until the file is offered; on a
desktop and a phone. And the back office's billing run with its progress bar."""

import pytest
from django.core.management import call_command

from billing.documents.models import Invoice
from portal.demo import DEMO_PASSWORD
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _Queued:
    """No worker in this test: the job waits, queued, until the test runs the worker's part."""

    @staticmethod
    def delay(job_id: int) -> None:
        pass


def test_a_customer_watches_the_zip_of_their_pdfs_being_built(
    live_server, page, shoot, monkeypatch
):
    from billing.collections import exports
    from core.models import Job

    call_command("seed_demo")
    monkeypatch.setattr(exports, "build_customer_export", _Queued)

    page.goto(tenant_url(live_server, "acme", "/contract/"))
    page.fill("input[name=login]", "customer1@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.click("a:has-text('Export your data')")
    page.wait_for_selector("h1:has-text('Export your data')")
    assert page.locator(".export-csv a").count() == 3
    with page.expect_download() as csv_download:
        page.click("a:has-text('Invoices (CSV)')")
    assert csv_download.value.suggested_filename.endswith("-invoices.csv")

    page.click("button:has-text('Prepare the ZIP file')")
    page.wait_for_selector(".job-progress[data-job-state=queued]")
    assert page.locator("[data-job-download]").is_hidden()
    assert page.locator("button:has-text('Prepare the ZIP file')").count() == 0
    shoot("e2e-self-export-queued-desktop")

    # The worker runs now; the page, polling, follows it to the end without a reload.
    job = Job.objects.get()
    exports.customer_pdf_export_build(job.pk)
    page.wait_for_selector(".job-progress[data-job-state=done]", timeout=15000)
    link = page.locator("[data-job-download]")
    assert link.is_visible()
    assert page.locator(".job-progress progress").get_attribute("value") == "100"
    status = page.locator(".job-progress-status").inner_text()
    customer_invoices = Invoice.objects.filter(customer__number=job_customer_number(job))
    assert "Done" in status and "PDF" in status and customer_invoices.exists()
    with page.expect_download() as zip_download:
        link.click()
    assert zip_download.value.suggested_filename.endswith(".zip")
    shoot("e2e-self-export-done-desktop")

    page.set_viewport_size({"width": 360, "height": 780})
    page.reload()
    page.wait_for_selector("h1:has-text('Export your data')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator("[data-job-download]").is_visible()
    shoot("e2e-self-export-done-phone")


def job_customer_number(job) -> str:
    from contracts.models import Customer

    return Customer.objects.get(pk=job.customer_id).number


def test_billing_staff_run_the_billing_and_watch_its_progress(
    live_server, page, shoot, eager_tasks
):
    call_command("seed_demo")
    page.goto(tenant_url(live_server, "acme", "/manage/billing/invoice/"))
    page.fill("input[name=login]", "billing@acme.test")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.click("button:has-text('Run billing now')")
    page.wait_for_selector(".job-progress[data-job-state=done]")
    assert "invoices issued" in page.locator(".job-progress-status").inner_text()
    shoot("e2e-billing-run-job-desktop")
