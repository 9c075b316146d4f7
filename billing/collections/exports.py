"""A customer's self-export: every invoice, credit note and payment as CSV, and every PDF of
theirs (invoices, credit notes, receipts) as one ZIP, built by a worker with a progress bar.

Finalized documents only (drafts never reach a customer), the customer's own only. The CSV
files read the same in every language's spreadsheet program: comma-separated, UTF-8 with a
byte-order mark (so Excel reads the accents), amounts as plain decimals ("1234.50") beside their
currency, dates in ISO 8601, and text that would start a formula made inert. Headings are in
the reader's language. They are streamed, a few hundred rows per query.
"""

from __future__ import annotations

import csv
import logging
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext, ngettext, override
from django.utils.translation import gettext_lazy as _

from billing.collections.tasks import build_customer_export
from billing.documents.models import CreditNote, Invoice, InvoiceStatus
from billing.documents.pdf import credit_note_pdf, invoice_pdf, receipt_pdf
from billing.payments.models import Payment, PaymentMethodKind, Receipt
from billing.payments.selectors import payment_list
from contracts.models import Customer
from core.background import job_running, job_start, jobs_fail_stalled
from core.emails import templated_message
from core.models import Job, JobKind, JobState, Tenant, User
from core.roles import require
from core.spreadsheets import spreadsheet_safe
from core.tenancy import tenant_host

logger = logging.getLogger(__name__)

CHUNK = 500  # rows per query while streaming


@dataclass(frozen=True)
class Column:
    heading: object  # a lazy string: translated when the file is written
    value: Callable


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value)  # "1234.50" in every locale
    if isinstance(value, datetime):
        return timezone.localtime(value).date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return spreadsheet_safe(str(value))


def invoice_export_list(*, tenant: Tenant, customer: Customer) -> QuerySet[Invoice]:
    return (
        Invoice.objects.filter(tenant=tenant, customer=customer)
        .visible_to_customers()
        .order_by("issue_date", "id")
    )


def credit_note_export_list(*, tenant: Tenant, customer: Customer) -> QuerySet[CreditNote]:
    return (
        CreditNote.objects.filter(tenant=tenant, customer=customer)
        .select_related("invoice")
        .order_by("issue_date", "id")
    )


def payment_export_list(*, tenant: Tenant, customer: Customer) -> QuerySet[Payment]:
    """The portal's payments with what each paid, oldest first as a ledger reads."""
    return payment_list(tenant=tenant, customer=customer).order_by("received_on", "id")


def _receipt_number(payment: Payment) -> str:
    try:
        return payment.receipt.number  # selected with the payment: no query
    except ObjectDoesNotExist:
        return ""


def _status(invoice: Invoice) -> str:
    return str(InvoiceStatus(invoice.status).label)


INVOICE_COLUMNS = [
    Column(_("Number"), lambda i: i.number),
    Column(_("Issue date"), lambda i: i.issue_date),
    Column(_("Due date"), lambda i: i.due_date),
    Column(_("Status"), _status),
    Column(_("Currency"), lambda i: i.currency),
    Column(_("Net"), lambda i: i.net_amount),
    Column(_("VAT"), lambda i: i.tax_amount),
    Column(_("Total"), lambda i: i.gross_amount),
    Column(_("Paid"), lambda i: i.amount_paid),
    Column(_("Credited"), lambda i: i.amount_credited),
    Column(_("Due"), lambda i: i.amount_due),
]

CREDIT_NOTE_COLUMNS = [
    Column(_("Number"), lambda n: n.number),
    Column(_("Issue date"), lambda n: n.issue_date),
    Column(_("Invoice"), lambda n: n.invoice.number),
    Column(_("Reason"), lambda n: n.reason),
    Column(_("Currency"), lambda n: n.currency),
    Column(_("Net"), lambda n: n.net_amount),
    Column(_("VAT"), lambda n: n.tax_amount),
    Column(_("Total"), lambda n: n.gross_amount),
]

PAYMENT_COLUMNS = [
    Column(_("Received on"), lambda p: p.received_on),
    Column(_("Currency"), lambda p: p.currency),
    Column(_("Amount"), lambda p: p.amount),
    Column(_("Method"), lambda p: str(PaymentMethodKind(p.method).label)),
    Column(_("Reference"), lambda p: p.reference),
    Column(_("Receipt"), _receipt_number),
    # Prefetched (payment_export_list): no query per payment.
    Column(_("Invoices"), lambda p: " ".join(a.invoice.number for a in p.allocations.all())),
]


@dataclass(frozen=True)
class CsvExport:
    filename: str
    columns: list[Column]
    rows: Callable[..., QuerySet]


CSV_EXPORTS = {
    "invoices": CsvExport("invoices.csv", INVOICE_COLUMNS, invoice_export_list),
    "credit-notes": CsvExport("credit-notes.csv", CREDIT_NOTE_COLUMNS, credit_note_export_list),
    "payments": CsvExport("payments.csv", PAYMENT_COLUMNS, payment_export_list),
}


class _Echo:
    """csv.writer's file: hands each line back instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: list[Column], rows: Iterable, *, language: str) -> Iterator[str]:
    """The CSV text, line by line: a byte-order mark, the headings, one line per row. In
    `language` (headings, statuses): a streamed response is read after its view returned."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    with override(language):
        yield "\ufeff" + writer.writerow([str(c.heading) for c in columns])
        for row in rows:
            yield writer.writerow([_cell(c.value(row)) for c in columns])


def customer_csv(*, kind: str, tenant: Tenant, customer: Customer) -> tuple[str, Iterator[str]]:
    """The file name and lines of one of the CSV_EXPORTS (KeyError for an unknown kind)."""
    export = CSV_EXPORTS[kind]
    rows = export.rows(tenant=tenant, customer=customer).iterator(chunk_size=CHUNK)
    lines = csv_lines(export.columns, rows, language=get_language() or settings.LANGUAGE_CODE)
    return f"{customer.number or customer.pk}-{export.filename}", lines


# --- All PDFs as one ZIP --------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _entry_name(folder: str, number: str, taken: set[str]) -> str:
    """`folder/<number>.pdf`, the number made safe for every file system (a series may put a
    slash in it), and never twice the same name."""
    stem = _UNSAFE.sub("-", number).strip("-.") or "document"
    name, n = f"{folder}/{stem}.pdf", 1
    while name in taken:
        n += 1
        name = f"{folder}/{stem}-{n}.pdf"
    taken.add(name)
    return name


def customer_pdf_export_start(*, tenant: Tenant, customer: Customer, actor: User) -> Job:
    """Queue the ZIP of the customer's PDFs, or hand back the one still being built (asking
    twice builds it once). One that stalled (its worker lost) is failed, and a new one queued."""
    require(actor, "invoice.view", tenant=tenant, customer_id=customer.pk)
    with transaction.atomic():
        # Two quick clicks: the second waits here until the first's job is written, and gets it.
        Customer.objects.select_for_update().filter(pk=customer.pk).exists()
        jobs = Job.objects.for_customer(tenant=tenant, customer_id=customer.pk).filter(
            kind=JobKind.CUSTOMER_EXPORT
        )
        jobs_fail_stalled(jobs)
        pending = jobs.pending().first()
        if pending is not None:
            return pending
        return job_start(
            tenant=tenant,
            kind=JobKind.CUSTOMER_EXPORT,
            requested_by=actor,
            customer_id=customer.pk,
            run=build_customer_export.delay,
        )


def customer_pdf_export_build(job_id: int) -> None:
    """The worker's part: every finalized invoice, credit note and receipt of the customer, each
    PDF once (rendered and stored first if it has none yet: the one the portal downloads),
    written into a ZIP in a temporary file; then the file stored and its link e-mailed."""
    with job_running(job_id) as progress:
        if progress is None:
            return
        job = progress.job
        customer = Customer.objects.select_related("tenant").get(
            pk=job.customer_id, tenant=job.tenant_id
        )
        tenant = customer.tenant
        invoices = invoice_export_list(tenant=tenant, customer=customer).exclude(number="")
        notes = credit_note_export_list(tenant=tenant, customer=customer)
        receipts = Receipt.objects.filter(tenant=tenant, payment__customer=customer).order_by(
            "issue_date", "id"
        )
        progress.set_total(invoices.count() + notes.count() + receipts.count())
        taken: set[str] = set()
        missing: list[tuple[str, str]] = []  # (entry name, document number)
        with tempfile.TemporaryFile() as spool:
            # PDFs are compressed already: stored as they are, the ZIP is built at disk speed.
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
                for folder, documents, stored in (
                    ("invoices", invoices.select_related("tenant"), invoice_pdf),
                    ("credit-notes", notes.select_related("tenant"), credit_note_pdf),
                    ("receipts", receipts.select_related("payment__tenant"), receipt_pdf),
                ):
                    for document in documents.iterator(chunk_size=100):
                        pdf = stored(document).pdf
                        name = _entry_name(folder, document.number, taken)
                        try:
                            with pdf.open("rb") as f:
                                archive.writestr(name, f.read())
                        except OSError:
                            # Lost from storage: the others still reach the customer, and the
                            # ZIP names this one (the business restores it).
                            logger.error("PDF of %s missing from storage (%s)", document, pdf.name)
                            missing.append((name, document.number))
                        progress.advance()
                if missing:
                    archive.writestr("MISSING.txt", _missing_note(missing, customer))
            spool.seek(0)
            day = timezone.localdate().isoformat()
            progress.finish(
                content=File(spool),
                filename=f"{customer.number or customer.pk}-documents-{day}.zip",
                content_type="application/zip",
                summary=_summary(len(taken) - len(missing), customer, missing),
            )
    if progress is not None and progress.job.state == JobState.DONE:
        customer_pdf_export_mail(progress.job)


def _summary(count: int, customer: Customer, missing: list[tuple[str, str]]) -> str:
    # Kept in the job in the customer's language: the page shows it as written.
    with override(customer.language or customer.tenant.locale):
        summary = ngettext("%(count)d PDF in the file.", "%(count)d PDFs in the file.", count) % {
            "count": count
        }
        if missing:
            # The numbers last: a long list is what the summary's length cuts.
            summary += " " + ngettext(
                "%(count)d PDF could not be found (listed in MISSING.txt): %(numbers)s",
                "%(count)d PDFs could not be found (listed in MISSING.txt): %(numbers)s",
                len(missing),
            ) % {"count": len(missing), "numbers": ", ".join(number for _name, number in missing)}
        return summary


def _missing_note(missing: list[tuple[str, str]], customer: Customer) -> str:
    with override(customer.language or customer.tenant.locale):
        heading = gettext(
            "The PDFs of these documents could not be found when this file was prepared. "
            "Please ask us for them."
        )
    return "\n".join([heading, "", *(name for name, _number in missing)]) + "\n"


def export_download_path(job: Job) -> str:
    return reverse("account_export_download", args=[job.pk])


def customer_pdf_export_mail(job: Job) -> bool:
    """E-mail the person who asked a link to the ZIP (the page needs them logged in as a
    contact of the customer: the link alone opens nothing)."""
    user = job.requested_by
    if user is None or not user.email:
        return False
    customer = Customer.objects.select_related("tenant").get(pk=job.customer_id)
    tenant = customer.tenant
    language = customer.language or tenant.locale
    base = f"{settings.KONTOR_LINK_SCHEME}://{tenant_host(tenant)}{settings.KONTOR_LINK_PORT}"
    templated_message(
        prefix="emails/export_ready",
        to=[user.email],
        context={
            "customer": customer,
            "link": base + export_download_path(job),
            "page": base + reverse("account_export"),
            "days": settings.KONTOR_JOB_DAYS,
            "expires_at": job.expires_at,
        },
        language=language,
        tenant=tenant,
    ).send()
    return True
