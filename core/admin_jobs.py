"""The back office's pages of a background job (core.background): its progress bar, what the
bar polls, and the file it made. A staff member sees their own jobs at this business; another
person's, another business's or an unknown id is a 404."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from core.background import job_progress
from core.models import Job, JobKind, JobState


def _own_job(request: HttpRequest, job_id: int) -> Job:
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        raise Http404
    return get_object_or_404(Job.objects.for_staff(tenant=tenant, user=request.user), pk=job_id)


def _may_download(site, request: HttpRequest, job: Job) -> bool:
    """An export's file holds the list's rows: a staff member whose role no longer lets them
    export that list (changed since they asked) no longer downloads it."""
    if job.kind != JobKind.STAFF_EXPORT:
        return True
    try:
        model_admin = site._registry.get(apps.get_model(job.params.get("model", "")))
    except (LookupError, ValueError):
        return False
    return model_admin is not None and model_admin.has_export_permission(request)


def _local(url: str) -> str:
    """The page the job was started from, if it is one of ours (a path, not another site)."""
    return url if isinstance(url, str) and url.startswith("/") and not url.startswith("//") else ""


def job_urls(site) -> list:
    def page(request: HttpRequest, job_id: int) -> HttpResponse:
        job = _own_job(request, job_id)
        context = {
            **site.each_context(request),
            "title": job.get_kind_display(),
            "job": job,
            "back_url": _local(job.params.get("back_url", "")),
            "progress_url": reverse("admin:job_progress", args=[job.pk]),
            "download_url": reverse("admin:job_download", args=[job.pk]),
        }
        return TemplateResponse(request, "admin/core/job.html", context)

    def progress(request: HttpRequest, job_id: int) -> JsonResponse:
        job = _own_job(request, job_id)
        return JsonResponse(
            job_progress(job, download_url=reverse("admin:job_download", args=[job.pk]))
        )

    def download(request: HttpRequest, job_id: int) -> FileResponse:
        job = _own_job(request, job_id)
        if job.state != JobState.DONE or not job.file:
            raise Http404(_("This file is not ready, or has expired."))
        if not _may_download(site, request, job):
            raise PermissionDenied
        try:
            file = job.file.open("rb")
        except OSError:  # expired (deleted) a moment ago
            raise Http404(_("This file is not ready, or has expired.")) from None
        return FileResponse(
            file,
            as_attachment=True,
            filename=job.filename,
            content_type=job.content_type or "application/octet-stream",
        )

    return [
        path("jobs/<int:job_id>/", site.admin_view(page), name="job"),
        path("jobs/<int:job_id>/progress", site.admin_view(progress), name="job_progress"),
        path("jobs/<int:job_id>/download", site.admin_view(download), name="job_download"),
    ]
