"""Long back-office actions run as jobs with a progress bar: the business's billing run, the
PDFs of selected invoices, and the exports. Each is gated by the role matrix as before, and a
job is seen by the staff member who started it, at their business only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from billing.documents.models import Invoice, InvoiceStatus
from billing.documents.services import invoice_add_line, invoice_create_draft
from billing.models import TaxRate
from core.models import AuditEntry, Job, JobKind, JobState
from core.roles import SYSTEM
from subscriptions.services import subscription_order
from tests.billing.test_exports import eager_tasks_on, issue
from tests.conftest import client_for
from tests.factories import TariffFactory

pytestmark = pytest.mark.django_db

INVOICES = "/manage/billing/invoice/"
RUN = INVOICES + "billing-run/"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel("2026-03-20 10:00:00+01:00", tick=False):
        yield


def staff(world, role="billing", tenant="acme"):
    return client_for(world.staff[tenant, role], getattr(world, tenant))


def started(client, url: str, data: dict, django_capture_on_commit_callbacks) -> Job:
    """Post what starts a job; its task runs at once (as a worker would, after commit)."""
    with eager_tasks_on(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.status_code
    job = Job.objects.latest("pk")
    assert response["Location"] == f"/manage/jobs/{job.pk}/"
    job.refresh_from_db()
    return job


@pytest.fixture
def due(world):
    """Three subscriptions, each with one period due today."""
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal("19"), is_default=True)
    tariff = TariffFactory(
        module__tenant=world.acme, module__name="Helpdesk", name="Team", price="49.00"
    )
    for customer in (world.alpha, world.bravo, world.alpha):
        subscription_order(
            customer=customer, tariff=tariff, actor=SYSTEM, start_on=date(2026, 3, 1)
        )


# --- the billing run ---------------------------------------------------------------------------


def test_billing_staff_run_the_business_billing_with_a_progress_bar(
    world, due, django_capture_on_commit_callbacks
):
    client = staff(world)
    assert f'action="{RUN}"' in client.get(INVOICES).content.decode()
    job = started(client, RUN, {}, django_capture_on_commit_callbacks)
    assert job.kind == JobKind.BILLING_RUN and job.state == JobState.DONE
    assert job.done == job.total == 3 and job.summary == "3 invoices issued."
    assert Invoice.objects.filter(tenant=world.acme, status=InvoiceStatus.OPEN).count() == 3
    assert not Invoice.objects.filter(tenant=world.globex).exists()
    entry = AuditEntry.objects.get(action="billing.run_for_business")
    assert entry.actor == world.staff["acme", "billing"] and entry.after["invoices"] == 3

    page = client.get(f"/manage/jobs/{job.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-job-progress="/manage/jobs/{job.pk}/progress"' in html
    assert "js/progress.js" in html and "3 invoices issued." in html
    progress = client.get(f"/manage/jobs/{job.pk}/progress").json()
    assert progress["state"] == "done" and progress["percent"] == 100
    assert progress["download_url"] == ""  # a run makes no file
    assert client.get(f"/manage/jobs/{job.pk}/download").status_code == 404


def test_a_second_run_issues_nothing_more(world, due, django_capture_on_commit_callbacks):
    started(staff(world), RUN, {}, django_capture_on_commit_callbacks)
    again = started(staff(world, "manager"), RUN, {}, django_capture_on_commit_callbacks)
    assert again.state == JobState.DONE and again.summary == "0 invoices issued."
    assert Invoice.objects.filter(tenant=world.acme).count() == 3


def test_support_may_not_run_billing(world, due):
    client = staff(world, "support")
    assert f'action="{RUN}"' not in client.get(INVOICES).content.decode()
    assert client.post(RUN).status_code == 403
    assert not Job.objects.exists() and not Invoice.objects.exists()


def test_a_get_starts_nothing(world, due):
    response = staff(world).get(RUN)
    assert response.status_code == 302 and not Job.objects.exists()


def test_a_job_is_its_starters_at_their_business_only(
    world, due, django_capture_on_commit_callbacks
):
    job = started(staff(world), RUN, {}, django_capture_on_commit_callbacks)
    for client in (
        staff(world, "owner"),
        staff(world, "owner", "globex"),
        world.client(world.alice),
    ):
        for suffix in ("", "progress", "download"):
            assert client.get(f"/manage/jobs/{job.pk}/{suffix}").status_code in (302, 404)
    # A job's own page for an id no job has, or junk, is a 404 too.
    assert staff(world).get("/manage/jobs/99999999/").status_code == 404
    assert staff(world).get("/manage/jobs/abc/").status_code == 404


# --- PDFs of selected invoices -----------------------------------------------------------------


@pytest.fixture
def invoices(world):
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal("19"), is_default=True)
    finalized = [issue(world.alpha, "100", day=2), issue(world.bravo, "40", day=3)]
    draft = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    invoice_add_line(invoice=draft, description="Draft", unit_price=Decimal("9"), actor=SYSTEM)
    return finalized, draft


FIGURES = ["number", "issue_date", "net_amount", "tax_amount", "gross_amount", "buyer", "seller"]


def _figures(invoice) -> dict:
    invoice.refresh_from_db()
    return {name: getattr(invoice, name) for name in FIGURES}


def test_the_missing_pdfs_of_a_selection_are_rendered_from_the_frozen_figures(
    world, invoices, django_capture_on_commit_callbacks
):
    finalized, draft = invoices
    before = [_figures(i) for i in finalized]
    assert not any(i.pdf for i in finalized)
    selection = {"action": "render_pdfs", "_selected_action": [i.pk for i in [*finalized, draft]]}
    job = started(staff(world), INVOICES, selection, django_capture_on_commit_callbacks)
    assert job.kind == JobKind.PDF_REGENERATION and job.state == JobState.DONE
    assert job.done == job.total == 2  # the draft has no PDF to render
    assert job.summary.startswith("2 PDFs rendered, 0 already stored")
    assert [_figures(i) for i in finalized] == before  # not one figure changed
    for invoice in finalized:
        assert invoice.pdf and invoice.pdf_sha256
    draft.refresh_from_db()
    assert not draft.pdf

    # Again: each stored PDF is checked, kept as issued — never rendered a second time.
    stored = {i.pk: (i.pdf.name, i.pdf_sha256) for i in finalized}
    again = started(staff(world), INVOICES, selection, django_capture_on_commit_callbacks)
    assert again.summary.startswith("0 PDFs rendered, 2 already stored and intact")
    for invoice in finalized:
        invoice.refresh_from_db()
        assert (invoice.pdf.name, invoice.pdf_sha256) == stored[invoice.pk]


def test_a_stored_pdf_lost_from_storage_is_reported_not_replaced(
    world, invoices, django_capture_on_commit_callbacks
):
    from billing.documents.pdf import invoice_pdf

    finalized, _draft = invoices
    lost = invoice_pdf(finalized[0])
    name, checksum = lost.pdf.name, lost.pdf_sha256
    lost.pdf.storage.delete(name)
    selection = {"action": "render_pdfs", "_selected_action": [i.pk for i in finalized]}
    job = started(staff(world), INVOICES, selection, django_capture_on_commit_callbacks)
    assert "1 PDFs rendered" in job.summary and "1 stored but missing or altered" in job.summary
    lost.refresh_from_db()
    assert (lost.pdf.name, lost.pdf_sha256) == (name, checksum)


def test_support_may_not_render_pdfs_and_another_business_invoices_are_left_alone(
    world, invoices, django_capture_on_commit_callbacks
):
    finalized, _draft = invoices
    selection = {"action": "render_pdfs", "_selected_action": [i.pk for i in finalized]}
    response = staff(world, "support").post(INVOICES, selection)
    assert not Job.objects.exists() and response.status_code in (200, 302, 403)
    theirs = issue(world.charlie_co, "5", day=4)
    mixed = {"action": "render_pdfs", "_selected_action": [finalized[0].pk, theirs.pk]}
    job = started(staff(world), INVOICES, mixed, django_capture_on_commit_callbacks)
    assert job.total == 1 and job.params["invoice_ids"] == [finalized[0].pk]
    theirs.refresh_from_db()
    assert not theirs.pdf


# --- exports -----------------------------------------------------------------------------------


def test_an_export_runs_as_a_job_whose_file_only_its_starter_downloads(
    world, invoices, django_capture_on_commit_callbacks
):
    job = started(
        staff(world, "support"),
        INVOICES + "export/",
        {"format": "0", "resource": "0"},
        django_capture_on_commit_callbacks,
    )
    assert job.kind == JobKind.STAFF_EXPORT and job.state == JobState.DONE
    assert job.done == job.total == 3 and job.filename.endswith(".csv")  # the draft too
    page = staff(world, "support").get(f"/manage/jobs/{job.pk}/").content.decode()
    assert (
        f'href="/manage/jobs/{job.pk}/download"' in page
        and " hidden" not in page.split("data-job-download")[1].split(">")[0]
    )
    download = staff(world, "support").get(f"/manage/jobs/{job.pk}/download")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="Invoice-')
    assert staff(world, "owner").get(f"/manage/jobs/{job.pk}/download").status_code == 404


def test_an_export_fails_when_the_role_was_taken_away_before_the_worker_ran(
    world, invoices, django_capture_on_commit_callbacks, monkeypatch
):
    from core import roles

    client = staff(world, "support")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(INVOICES + "export/", {"format": "0", "resource": "0"})
    monkeypatch.setitem(roles.STAFF_ACTIONS, "invoices.view", roles.StaffRole.MANAGER)
    with eager_tasks_on():
        for callback in queued:
            callback()
    job = Job.objects.get()
    assert job.state == JobState.FAILED and not job.file


def _exported(world, django_capture_on_commit_callbacks) -> Job:
    return started(
        staff(world, "support"),
        INVOICES + "export/",
        {"format": "0", "resource": "0"},
        django_capture_on_commit_callbacks,
    )


def test_an_export_is_not_downloaded_once_the_role_was_taken_away(
    world, invoices, django_capture_on_commit_callbacks, monkeypatch
):
    from core import roles

    job = _exported(world, django_capture_on_commit_callbacks)
    assert staff(world, "support").get(f"/manage/jobs/{job.pk}/download").status_code == 200
    monkeypatch.setitem(roles.STAFF_ACTIONS, "invoices.view", roles.StaffRole.MANAGER)
    assert staff(world, "support").get(f"/manage/jobs/{job.pk}/download").status_code == 403


def test_an_export_whose_file_vanished_is_a_404(
    world, invoices, django_capture_on_commit_callbacks
):
    job = _exported(world, django_capture_on_commit_callbacks)
    job.file.storage.delete(job.file.name)  # expired between the page and the click
    assert staff(world, "support").get(f"/manage/jobs/{job.pk}/download").status_code == 404
