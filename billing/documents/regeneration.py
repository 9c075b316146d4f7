"""Back office: the PDFs of many finalized invoices at once, as a job with a progress bar.

A finalized invoice's PDF is rendered from its frozen snapshot (number, parties, lines, totals:
nothing is recomputed) and stored once: the database refuses to replace it (migration 0010),
because the stored PDF is the document the customer received. So "regenerating" renders and
stores the PDFs that are missing (a render that failed, invoices issued before PDFs were
archived), and checks that each stored one is still in storage, unaltered (its checksum). Those
that are not are reported and logged, never silently replaced.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter

from django.utils import translation
from django.utils.translation import gettext

from billing.documents.models import Invoice, InvoiceStatus
from billing.documents.pdf import invoice_pdf
from billing.documents.tasks import render_invoice_pdfs
from core.audit import audit_record
from core.background import job_running, job_start
from core.models import Job, JobKind, Tenant, User
from core.roles import SYSTEM, require

logger = logging.getLogger(__name__)

RENDERED, INTACT, DAMAGED, FAILED = "rendered", "intact", "damaged", "failed"


def invoice_pdfs_job_start(
    *, tenant: Tenant, actor: User, invoice_ids: list[int], language: str, back_url: str
) -> Job:
    """Queue the PDFs of these invoices (the business's finalized ones among them)."""
    require(actor, "invoices.manage", tenant=tenant)
    ids = list(
        Invoice.objects.filter(tenant=tenant, pk__in=invoice_ids)
        .exclude(status=InvoiceStatus.DRAFT)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return job_start(
        tenant=tenant,
        kind=JobKind.PDF_REGENERATION,
        requested_by=actor,
        params={"invoice_ids": ids, "language": language, "back_url": back_url},
        total=len(ids),
        run=render_invoice_pdfs.delay,
    )


def invoice_pdf_ensure(invoice: Invoice) -> str:
    """RENDERED (it had none), INTACT (stored, checksum right), DAMAGED (stored, but missing
    from storage or altered) or FAILED (rendering raised; logged)."""
    if not invoice.pdf:
        try:
            invoice_pdf(invoice)
        except Exception:
            logger.exception("PDF of %s not rendered", invoice)
            return FAILED
        return RENDERED
    try:
        with invoice.pdf.open("rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    except OSError:
        logger.error("PDF of %s is missing from storage (%s)", invoice, invoice.pdf.name)
        return DAMAGED
    if invoice.pdf_sha256 and digest != invoice.pdf_sha256:
        logger.error("PDF of %s does not match its checksum", invoice)
        return DAMAGED
    return INTACT


def invoice_pdfs_job(job_id: int) -> None:
    """The worker's part: each invoice of the job in turn, counted on its progress bar."""
    with job_running(job_id) as progress:
        if progress is None:
            return
        job = progress.job
        counts: Counter[str] = Counter()
        invoices = (
            Invoice.objects.filter(tenant=job.tenant_id, pk__in=job.params["invoice_ids"])
            .exclude(status=InvoiceStatus.DRAFT)
            .select_related("tenant")
            .order_by("pk")
        )
        progress.set_total(len(job.params["invoice_ids"]))
        for invoice in invoices.iterator(chunk_size=100):
            counts[invoice_pdf_ensure(invoice)] += 1
            progress.advance()
        tenant = Tenant.objects.get(pk=job.tenant_id)
        audit_record(
            tenant=tenant,
            actor=job.requested_by or SYSTEM,
            action="invoice.pdfs_checked",
            after=dict(counts),
        )
        with translation.override(job.params.get("language") or tenant.locale):
            summary = gettext(
                "%(rendered)d PDFs rendered, %(intact)d already stored and intact, "
                "%(damaged)d stored but missing or altered, %(failed)d failed."
            ) % {key: counts[key] for key in (RENDERED, INTACT, DAMAGED, FAILED)}
        progress.finish(summary=summary)
