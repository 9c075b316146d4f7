"""A customer's self-export: invoices, credit notes and payments as CSV (the customer's own,
finalized only, as the database has them), and all their PDFs as one ZIP built by a worker
with a progress bar, e-mailed as a link when done. Another customer's or business's job is
a 404."""

from __future__ import annotations

import csv
import io
import threading
import time
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from billing.collections.exports import customer_pdf_export_start
from billing.documents.credit_notes import credit_note_issue
from billing.documents.models import CreditNote, Invoice
from billing.documents.services import invoice_add_line, invoice_create_draft
from billing.models import TaxRate
from billing.payments.models import Receipt
from billing.payments.services import payment_record
from core import background
from core.background import Progress, jobs_expire
from core.models import Job, JobKind, JobState
from core.roles import SYSTEM
from tests.billing.test_exports import issue
from tests.conftest import client_for
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.django_db

PAGE = "/account/export/"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel("2026-03-20 10:00:00+01:00", tick=False):
        yield


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads the accents
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def books(world):
    """Alpha: two invoices, the first paid by a payment with a formula-like reference, the
    second credited in full; a draft. Bravo and globex's Charlie: one invoice each."""
    for tenant in (world.acme, world.globex):
        TaxRate.objects.create(tenant=tenant, name="Standard", rate=Decimal("19"), is_default=True)
    big = issue(world.alpha, "1000", day=2)
    small = issue(world.alpha, "50", day=3)
    draft = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    invoice_add_line(invoice=draft, description="Draft", unit_price=Decimal("9"), actor=SYSTEM)
    issue(world.bravo, "10", day=4)
    issue(world.charlie_co, "77", day=5)
    payment_record(
        customer=world.alpha,
        amount=Decimal("1190.00"),
        currency="EUR",
        method="bank_transfer",
        reference="=HYPERLINK(1)",
        received_on=date(2026, 3, 10),
        invoices=[big],
        actor=world.staff["acme", "billing"],
    )
    credit_note_issue(invoice=small, actor=SYSTEM, today=date(2026, 3, 12), reason="@wrong")
    return big


def test_the_invoice_csv_is_the_customer_finalized_invoices_as_the_database_has_them(world, books):
    rows = rows_of(world.client(world.alice).get(PAGE + "invoices.csv"))
    assert rows[0] == [
        "Number",
        "Issue date",
        "Due date",
        "Status",
        "Currency",
        "Net",
        "VAT",
        "Total",
        "Paid",
        "Credited",
        "Due",
    ]
    expected = Invoice.objects.filter(customer=world.alpha).exclude(status="draft")
    assert [r[0] for r in rows[1:]] == [i.number for i in expected.order_by("issue_date", "id")]
    for row, invoice in zip(rows[1:], expected.order_by("issue_date", "id"), strict=True):
        assert row[1] == invoice.issue_date.isoformat()
        assert row[2] == invoice.due_date.isoformat()
        assert row[4] == invoice.currency
        assert [Decimal(v) for v in row[5:11]] == [
            invoice.net_amount,
            invoice.tax_amount,
            invoice.gross_amount,
            invoice.amount_paid,
            invoice.amount_credited,
            invoice.amount_due,
        ]
    assert rows[1][5:8] == ["1000.00", "190.00", "1190.00"]  # never "1.190,00"


def test_the_csv_reads_the_same_in_every_language_but_its_headings(world, books):
    client = world.client(world.alice)
    english = rows_of(client.get(PAGE + "invoices.csv"))
    client.cookies["django_language"] = "de"
    german = rows_of(client.get(PAGE + "invoices.csv"))
    assert german[0][0] == "Nummer"
    assert [r[:3] + r[4:] for r in german[1:]] == [r[:3] + r[4:] for r in english[1:]]


def test_credit_notes_and_payments_are_exported_with_formulas_made_inert(world, books):
    client = world.client(world.alice)
    (note,) = rows_of(client.get(PAGE + "credit-notes.csv"))[1:]
    db_note = CreditNote.objects.get(customer=world.alpha)
    assert note[:4] == [db_note.number, "2026-03-12", db_note.invoice.number, "'@wrong"]
    assert note[4:] == ["EUR", "50.00", "9.50", "59.50"]
    (payment,) = rows_of(client.get(PAGE + "payments.csv"))[1:]
    receipt = Receipt.objects.get(payment__customer=world.alpha)
    assert payment == [
        "2026-03-10",
        "EUR",
        "1190.00",
        "Bank transfer",
        "'=HYPERLINK(1)",
        receipt.number,
        books.number,
    ]


def test_another_customer_sees_only_their_own_rows(world, books):
    rows = rows_of(world.client(world.bob).get(PAGE + "invoices.csv"))
    assert [r[0] for r in rows[1:]] == [Invoice.objects.get(customer=world.bravo).number]
    assert rows_of(world.client(world.bob).get(PAGE + "payments.csv"))[1:] == []
    assert (
        rows_of(world.client(world.charlie, world.globex).get(PAGE + "credit-notes.csv"))[1:] == []
    )


@pytest.mark.parametrize("kind", ["invoices", "payments", "credit-notes"])
def test_the_csv_takes_the_same_queries_however_many_rows(world, books, kind):
    client = world.client(world.alice)
    b"".join(client.get(PAGE + f"{kind}.csv").streaming_content)  # warm the session
    with assert_max_queries(100) as few:
        b"".join(client.get(PAGE + f"{kind}.csv").streaming_content)
    for day in range(13, 19):
        invoice = issue(world.alpha, "5", day=day)
        payment_record(
            customer=world.alpha,
            amount=invoice.gross_amount,
            currency="EUR",
            method="cash",
            reference=f"Cash {day}",
            received_on=date(2026, 3, day),
            invoices=[invoice],
            actor=world.staff["acme", "billing"],
        )
        credit_note_issue(invoice=invoice, actor=SYSTEM, today=date(2026, 3, day), reason="x")
    with assert_max_queries(len(few.captured_queries)):
        assert len(rows_of(client.get(PAGE + f"{kind}.csv"))) > 6


def test_an_unknown_csv_is_a_404_and_strangers_log_in_first(world, books):
    assert world.client(world.alice).get(PAGE + "orders.csv").status_code == 404
    assert client_for(None, world.acme).get(PAGE + "invoices.csv").status_code == 302


def test_the_page_links_the_files_and_the_contract_page_links_it(world, books):
    page = world.client(world.alice).get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("invoices.csv", "credit-notes.csv", "payments.csv"):
        assert PAGE + name in html
    assert 'action="/account/export/zip/"' in html
    assert PAGE in world.client(world.alice).get("/contract/").content.decode()


def _build_zip(world, user, django_capture_on_commit_callbacks, tenant=None):
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client(user, tenant).post(PAGE + "zip/")
    assert response.status_code == 302 and response["Location"] == PAGE
    return Job.objects.get(kind=JobKind.CUSTOMER_EXPORT, requested_by=user)


def test_the_zip_holds_each_pdf_once_under_its_number_and_is_mailed_as_a_link(
    world, books, eager_tasks, django_capture_on_commit_callbacks
):
    job = _build_zip(world, world.alice, django_capture_on_commit_callbacks)
    assert job.state == JobState.DONE and job.done == job.total == 4
    assert job.customer_id == world.alpha.pk

    client = world.client(world.alice)
    progress = client.get(f"{PAGE}jobs/{job.pk}/progress").json()
    assert progress["state"] == "done" and progress["percent"] == 100
    assert progress["download_url"] == f"{PAGE}jobs/{job.pk}/download"
    response = client.get(progress["download_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="A-1-documents-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    expected = sorted(
        [
            f"invoices/{i.number}.pdf"
            for i in Invoice.objects.filter(customer=world.alpha).exclude(number="")
        ]
        + [f"credit-notes/{n.number}.pdf" for n in CreditNote.objects.filter(customer=world.alpha)]
        + [
            f"receipts/{r.number}.pdf"
            for r in Receipt.objects.filter(payment__customer=world.alpha)
        ]
    )
    assert sorted(names) == expected and len(set(names)) == len(names)
    for name in names:
        data = archive.read(name)
        assert data.startswith(b"%PDF")
    # The invoice in the ZIP is the one the portal's download gives (Factur-X, stored once).
    big = Invoice.objects.get(pk=books.pk)
    assert archive.read(f"invoices/{big.number}.pdf") == big.pdf.open("rb").read()

    (message,) = mail.outbox
    assert message.to == ["alice@example.test"]
    assert f"https://acme.localhost{PAGE}jobs/{job.pk}/download" in message.body
    page = client.get(PAGE).content.decode()
    assert f"{PAGE}jobs/{job.pk}/download" in page and "4 PDFs in the file." in page


def test_asking_twice_while_it_is_built_builds_it_once(world, books):
    first = customer_pdf_export_start(tenant=world.acme, customer=world.alpha, actor=world.alice)
    again = customer_pdf_export_start(tenant=world.acme, customer=world.alpha, actor=world.alice)
    assert first == again and first.state == JobState.QUEUED
    page = world.client(world.alice).get(PAGE).content.decode()
    assert f'data-job-progress="{PAGE}jobs/{first.pk}/progress"' in page
    assert 'action="/account/export/zip/"' not in page  # no second ZIP while one is built


def test_another_customers_or_businesses_job_is_a_404(
    world, books, eager_tasks, django_capture_on_commit_callbacks
):
    job = _build_zip(world, world.alice, django_capture_on_commit_callbacks)
    for user in (world.bob, world.staff["acme", "owner"]):
        client = world.client(user)
        assert client.get(f"{PAGE}jobs/{job.pk}/progress").status_code in (403, 404)
        assert client.get(f"{PAGE}jobs/{job.pk}/download").status_code in (403, 404)
    for user, tenant in ((world.bob, world.acme), (world.charlie, world.globex)):
        client = world.client(user, tenant)
        assert client.get(f"{PAGE}jobs/{job.pk}/progress").status_code == 404
        assert client.get(f"{PAGE}jobs/{job.pk}/download").status_code == 404
    assert world.client(world.alice).get(f"{PAGE}jobs/99999999/progress").status_code == 404
    # Nor does the back office's job page show it: it is the customer's.
    owner = world.client(world.staff["acme", "owner"])
    assert owner.get(f"/manage/jobs/{job.pk}/").status_code == 404


def test_a_job_not_done_has_nothing_to_download(world, books):
    job = customer_pdf_export_start(tenant=world.acme, customer=world.alpha, actor=world.alice)
    assert world.client(world.alice).get(f"{PAGE}jobs/{job.pk}/download").status_code == 404


def test_a_failed_build_says_so_without_the_internals(
    world, books, eager_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    from billing.collections import exports

    def broken(document):
        raise RuntimeError("disk /secret/path full")

    monkeypatch.setattr(exports, "invoice_pdf", broken)
    job = _build_zip(world, world.alice, django_capture_on_commit_callbacks)
    assert job.state == JobState.FAILED and not job.file
    progress = world.client(world.alice).get(f"{PAGE}jobs/{job.pk}/progress").json()
    assert progress["state"] == "failed" and "secret" not in str(progress)
    assert progress["error"] and mail.outbox == []


def test_progress_is_written_in_batches_and_only_forward(world, monkeypatch):
    job = Job.objects.create(
        tenant=world.acme,
        kind=JobKind.CUSTOMER_EXPORT,
        customer_id=world.alpha.pk,
        expires_at=timezone.now() + timedelta(days=1),
    )
    written = []
    real = Progress._write

    def spy(self):
        real(self)
        written.append(Job.objects.get(pk=job.pk).done)

    monkeypatch.setattr(Progress, "_write", spy)
    monkeypatch.setattr(background, "FLUSH_SECONDS", 3600)
    progress = Progress(job)
    progress.set_total(1000)
    for _ in range(1000):
        progress.advance()
    progress.finish(summary="ok")
    values = [v for v in written if v]
    assert values == sorted(values) and len(set(values)) > 5  # it moved, step by step
    assert len(written) <= background.FLUSH_STEPS + 2  # about twenty writes, not a thousand
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.done == job.total == 1000 and job.percent == 100


def test_expired_files_are_deleted_with_their_jobs(
    world, books, eager_tasks, django_capture_on_commit_callbacks
):
    job = _build_zip(world, world.alice, django_capture_on_commit_callbacks)
    name = job.file.name
    storage = job.file.storage
    assert storage.exists(name)
    assert jobs_expire(now=timezone.now() + timedelta(days=6)) == 0
    assert jobs_expire(now=timezone.now() + timedelta(days=8)) == 1
    assert not storage.exists(name) and not Job.objects.filter(pk=job.pk).exists()


def test_staff_acting_as_the_customer_read_the_export_and_support_may_not_start_a_zip(
    world, books, eager_tasks, django_capture_on_commit_callbacks
):
    from tests.contracts.test_acting_as import acting_client

    support = acting_client(world, "support")
    assert support.get(PAGE).status_code == 200
    rows = rows_of(support.get(PAGE + "invoices.csv"))
    assert len(rows) == 3  # Alpha's two finalized invoices
    assert support.post(PAGE + "zip/").status_code == 403
    assert not Job.objects.exists()

    billing = acting_client(world, "billing")
    with django_capture_on_commit_callbacks(execute=True):
        assert billing.post(PAGE + "zip/").status_code == 302
    job = Job.objects.get()
    assert job.customer_id == world.alpha.pk and job.state == JobState.DONE
    # The customer's own contacts see it on their page; the staff member's mail has the link.
    assert f"{PAGE}jobs/{job.pk}/download" in world.client(world.alice).get(PAGE).content.decode()
    assert mail.outbox[-1].to == [world.staff["acme", "billing"].email]


def test_the_page_polls_a_running_job_and_reads_how_far_it_got(world, books):
    job = customer_pdf_export_start(tenant=world.acme, customer=world.alpha, actor=world.alice)
    progress = Progress(job)
    progress.set_total(10)
    for _ in range(5):
        progress.advance()
    answer = world.client(world.alice).get(f"{PAGE}jobs/{job.pk}/progress").json()
    assert answer["percent"] == 50 and answer["count_label"] == "5 of 10"
    assert answer["state"] == "queued" and answer["download_url"] == ""


# --- what the review found: redelivered, stuck, lost and racing jobs ----------------------------


def _job(world, **fields) -> Job:
    return Job.objects.create(
        tenant=world.acme,
        kind=JobKind.CUSTOMER_EXPORT,
        customer_id=world.alpha.pk,
        expires_at=timezone.now() + timedelta(days=7),
        **fields,
    )


def test_a_redelivered_task_does_not_run_a_job_its_first_worker_still_runs(world):
    job = _job(world)
    # Asserted outside: job_running turns what its work raises into a failed job.
    with background.job_running(job.pk) as first:
        with background.job_running(job.pk) as again:  # acks_late: the same task, redelivered
            pass
        first.finish(summary="once")
    assert first is not None and again is None
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.summary == "once"


def test_a_running_job_whose_worker_was_lost_is_run_again_from_the_start(world, settings):
    lost = timezone.now() - timedelta(minutes=settings.KONTOR_JOB_STALE_MINUTES + 1)
    job = _job(world, state=JobState.RUNNING, done=3, total=9, heartbeat_at=lost)
    with background.job_running(job.pk) as progress:
        assert progress is not None and progress.done == 0
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.heartbeat_at > lost


def test_a_stuck_zip_reads_as_failed_and_asking_again_starts_a_new_one(world, books, settings):
    stuck = customer_pdf_export_start(tenant=world.acme, customer=world.alpha, actor=world.alice)
    client = world.client(world.alice)
    later = timezone.now() + timedelta(minutes=settings.KONTOR_JOB_STALE_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        progress = client.get(f"{PAGE}jobs/{stuck.pk}/progress").json()
        assert progress["state"] == "failed" and progress["error"]
        assert 'action="/account/export/zip/"' in client.get(PAGE).content.decode()
        fresh = customer_pdf_export_start(
            tenant=world.acme, customer=world.alpha, actor=world.alice
        )
    stuck.refresh_from_db()
    assert fresh != stuck and fresh.state == JobState.QUEUED
    assert stuck.state == JobState.FAILED and "No sign of life" in stuck.error


def test_a_broker_down_fails_the_job_instead_of_the_page(
    world, books, django_capture_on_commit_callbacks, monkeypatch
):
    from billing.collections.tasks import build_customer_export

    def broker_down(job_id):
        raise ConnectionError("Error 111 connecting to redis:6379")

    monkeypatch.setattr(build_customer_export, "delay", broker_down)
    job = _build_zip(world, world.alice, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error.startswith("Not queued: ConnectionError")
    page = world.client(world.alice).get(PAGE).content.decode()
    assert 'action="/account/export/zip/"' in page  # the customer may ask again


def test_a_pdf_lost_from_storage_is_named_and_the_others_still_zipped(
    world, books, eager_tasks, django_capture_on_commit_callbacks
):
    from billing.documents.pdf import invoice_pdf

    lost = invoice_pdf(books)
    lost.pdf.storage.delete(lost.pdf.name)
    job = _build_zip(world, world.alice, django_capture_on_commit_callbacks)
    assert job.state == JobState.DONE, job.error
    assert job.summary == (
        f"3 PDFs in the file. 1 PDF could not be found (listed in MISSING.txt): {lost.number}"
    )
    archive = zipfile.ZipFile(job.file.open("rb"))
    assert f"invoices/{lost.number}.pdf" not in archive.namelist()
    assert len(archive.namelist()) == 4  # three PDFs and the note
    assert f"invoices/{lost.number}.pdf" in archive.read("MISSING.txt").decode()
    assert len(mail.outbox) == 1


def test_expiry_leaves_a_job_being_built_alone_and_a_vanished_file_is_a_404(
    world, books, eager_tasks, django_capture_on_commit_callbacks, settings
):
    week = timezone.now() + timedelta(days=8)
    running = _job(world, state=JobState.RUNNING, heartbeat_at=week - timedelta(minutes=1))
    assert jobs_expire(now=week) == 0 and Job.objects.filter(pk=running.pk).exists()
    stalled = week + timedelta(minutes=settings.KONTOR_JOB_STALE_MINUTES)
    assert jobs_expire(now=stalled) == 1 and not Job.objects.filter(pk=running.pk).exists()

    job = _build_zip(world, world.alice, django_capture_on_commit_callbacks)
    job.file.storage.delete(job.file.name)  # expired between the page and the click
    assert world.client(world.alice).get(f"{PAGE}jobs/{job.pk}/download").status_code == 404


def test_the_csv_file_name_survives_any_customer_number(world, books):
    world.alpha.number = 'Ä"1\r\nX'
    world.alpha.save(update_fields=["number"])
    response = world.client(world.alice).get(PAGE + "invoices.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%C3%84%221%0D%0AX-invoices.csv"
    )


@pytest.mark.django_db(transaction=True)
def test_two_quick_clicks_start_one_zip(world, books, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this)")
    from billing.collections import exports

    real = exports.job_start

    def slow_start(**kwargs):
        time.sleep(0.5)  # the second click arrives between the check and the new job
        return real(**kwargs)

    monkeypatch.setattr(exports, "job_start", slow_start)
    monkeypatch.setattr(exports.build_customer_export, "delay", lambda job_id: None)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def click() -> None:
        from django.db import connections

        try:
            barrier.wait()
            customer_pdf_export_start(tenant=world.acme, customer=world.alpha, actor=world.alice)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Job.objects.filter(kind=JobKind.CUSTOMER_EXPORT).count() == 1
