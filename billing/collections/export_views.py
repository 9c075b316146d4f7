"""Portal pages of the customer's self-export: the page, the CSV files, and the ZIP of PDFs
with its progress. A job of another customer, of another business, or an unknown id is a 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from billing.collections.exports import (
    CSV_EXPORTS,
    customer_csv,
    customer_pdf_export_start,
    export_download_path,
)
from contracts.access import customer_required
from core.background import job_progress, job_stalled
from core.models import Job, JobKind, JobState
from core.roles import may

RECENT_JOBS = 5
CSV_LABELS = {
    "invoices": _("Invoices (CSV)"),
    "credit-notes": _("Credit notes (CSV)"),
    "payments": _("Payments (CSV)"),
}


def _may_export(request: HttpRequest) -> None:
    if not may(
        request.user, "invoice.view", tenant=request.tenant, customer_id=request.customer.pk
    ):
        raise PermissionDenied


def _jobs(request: HttpRequest):
    return Job.objects.for_customer(tenant=request.tenant, customer_id=request.customer.pk).filter(
        kind=JobKind.CUSTOMER_EXPORT
    )


@customer_required
def export_page(request: HttpRequest) -> HttpResponse:
    _may_export(request)
    jobs = list(_jobs(request)[:RECENT_JOBS])
    return render(
        request,
        "billing/export.html",
        {
            "section_key": "invoices",
            "csv_exports": [
                (CSV_LABELS[kind], reverse("account_export_csv", args=[kind]))
                for kind in CSV_EXPORTS
            ],
            "jobs": [
                {
                    "job": job,
                    "progress_url": reverse("account_export_progress", args=[job.pk]),
                    "download_url": export_download_path(job),
                }
                for job in jobs
            ],
            # A stalled job (its worker lost) reads as failed: the customer may ask again.
            "building": any(not j.finished and not job_stalled(j) for j in jobs),
        },
    )


@customer_required
def export_csv(request: HttpRequest, kind: str) -> StreamingHttpResponse:
    _may_export(request)
    if kind not in CSV_EXPORTS:
        raise Http404
    filename, lines = customer_csv(kind=kind, tenant=request.tenant, customer=request.customer)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    # The customer number is the business's text: quoted, or encoded (RFC 6266) when it must be.
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_POST
@customer_required
def export_zip_start(request: HttpRequest) -> HttpResponse:
    _may_export(request)
    customer_pdf_export_start(tenant=request.tenant, customer=request.customer, actor=request.user)
    return redirect("account_export")


@customer_required
def export_progress(request: HttpRequest, job_id: int) -> JsonResponse:
    _may_export(request)
    job = get_object_or_404(_jobs(request), pk=job_id)
    return JsonResponse(job_progress(job, download_url=export_download_path(job)))


@customer_required
def export_download(request: HttpRequest, job_id: int) -> FileResponse:
    _may_export(request)
    job = get_object_or_404(_jobs(request), pk=job_id)
    if job.state != JobState.DONE or not job.file:
        raise Http404
    try:
        file = job.file.open("rb")
    except OSError:  # expired (deleted) a moment ago
        raise Http404 from None
    return FileResponse(
        file,
        as_attachment=True,
        filename=job.filename,
        content_type=job.content_type or "application/zip",
    )
