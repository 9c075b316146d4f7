"""Exports and imports in the back office, with django-import-export, on the terms of every
tenant-scoped page (core.admin_base): a staff member exports the rows their list shows (their
tenant's, under the filters and search in force) if their role may view them, and imports rows
that go through the services, so the same rules and the same audit apply as one by one.

An import is tried first (a dry run inside a transaction that is rolled back: the services run,
nothing stays) and reported row by row — new, updated, unchanged, refused and why — and only a
file without a refused row can be confirmed. The confirmed run is one transaction: a row refused
then (the data changed in between) rolls back every row, nothing is half imported.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import logging
from copy import deepcopy
from decimal import Decimal
from typing import Any

from celery import shared_task
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core import signing
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext, override
from django.utils.translation import gettext as _
from import_export import resources, widgets
from import_export.admin import ExportMixin, ImportMixin
from import_export.formats.base_formats import BINARY_FORMATS, CSV, XLSX
from import_export.forms import ExportForm, ImportForm
from import_export.results import RowResult

from core.background import Progress, job_running, job_start
from core.import_files import IMPORT_FILE_MAX_AGE, ImportFileStorage
from core.models import Job, JobKind, Tenant, User
from core.spreadsheets import spreadsheet_safe

logger = logging.getLogger(__name__)

# The uploaded file waits in a temporary file between the dry run and the confirmation; its name
# comes back signed, for this person at this business and this list (customers or contacts), so
# no other file can be named instead, nor a file tried as customers confirmed as contacts.
_IMPORT_SALT = "kontor.import.file"
_IMPORT_MAX_AGE = int(IMPORT_FILE_MAX_AGE.total_seconds())

# What one import may hold. The file is read whole into memory (the dry run, then again at the
# confirmation) and every row runs the services in one transaction: a bigger file is split.
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_MAX_ROWS = 5000


class BoundedImportForm(ImportForm):
    """The upload form, refusing a file too big or with too many rows before anything reads it
    whole (IMPORT_MAX_BYTES, IMPORT_MAX_ROWS), with a message saying what to do."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(
                _(
                    "This file is %(size)s; an import takes at most %(limit)s. "
                    "Split it into smaller files."
                )
                % {
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(IMPORT_MAX_BYTES),
                }
            )
        # Rows as CSV counts them (a quoted cell may hold a line break), the heading aside.
        text = io.StringIO(upload.read().decode("utf-8-sig", errors="replace"), newline="")
        upload.seek(0)
        try:
            rows = sum(1 for row in csv.reader(text) if row) - 1
        except csv.Error:
            rows = 0  # not CSV at all: the import's own reading says so
        if rows > IMPORT_MAX_ROWS:
            raise ValidationError(
                _(
                    "This file has %(rows)d rows; an import takes at most %(limit)d. "
                    "Split it into smaller files."
                )
                % {"rows": rows, "limit": IMPORT_MAX_ROWS}
            )
        return upload


# What the report calls each outcome of a row.
IMPORT_TYPE_LABELS = {
    RowResult.IMPORT_TYPE_NEW: gettext_lazy("new"),
    RowResult.IMPORT_TYPE_UPDATE: gettext_lazy("updated"),
    RowResult.IMPORT_TYPE_SKIP: gettext_lazy("unchanged"),
    RowResult.IMPORT_TYPE_INVALID: gettext_lazy("refused"),
    RowResult.IMPORT_TYPE_ERROR: gettext_lazy("refused"),
}


class PlainDecimalWidget(widgets.Widget):
    """Money as a plain decimal ("1234.50", never "1.234,50") beside its currency column; a
    number cell in a spreadsheet."""

    def render(self, value: Decimal | None, obj=None, **kwargs: Any):
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else str(value)


class IsoDateWidget(widgets.Widget):
    """A date as ISO 8601 (2026-03-20); a moment as the business's calendar day. A date cell in
    a spreadsheet."""

    def render(self, value, obj=None, **kwargs: Any):
        if value is None:
            return ""
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value).date()
        return value if kwargs.get("force_native_type") else value.isoformat()


class TranslatedHeadersMixin:
    """Column headings in the staff member's language (they are lazy strings until asked), and
    cells a spreadsheet cannot mistake for a formula."""

    def get_export_headers(self, selected_fields=None) -> list[str]:
        return [str(h) for h in super().get_export_headers(selected_fields)]

    def export_field(self, field, instance, **kwargs):
        return spreadsheet_safe(super().export_field(field, instance, **kwargs))


# Rows read per query while a worker writes an export: memory stays flat however many.
EXPORT_CHUNK = 500


class TenantExportMixin(ExportMixin):
    """CSV and XLSX export of the list as filtered, for whoever may view its rows."""

    export_form_class = ExportForm  # every column, always: the file reads the same each time
    export_resource_classes: list[type[resources.Resource]] = []

    def get_export_formats(self) -> list:
        return [CSV, XLSX]

    def get_export_resource_classes(self, request: HttpRequest) -> list:
        return self.export_resource_classes

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self._may(request, self.view_action)

    def export_action(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().export_action(request)
        except IncorrectLookupParameters:
            # A malformed filter in the address: the list says so (as Django's own list does).
            return redirect(request.path.rsplit("export/", 1)[0] + "?e=1")

    def _do_file_export(self, file_format, request: HttpRequest, queryset, export_form=None):
        """The file is written by a worker (a job with a progress bar, core.background): the
        rows are the list's as filtered now; the worker reads them as the list reads them, for
        the same person, whose role it checks again. A platform admin on the bare host (no
        business to file the job under) gets the file at once."""
        if getattr(request, "tenant", None) is None:
            return super()._do_file_export(file_format, request, queryset, export_form)
        if not self.has_export_permission(request):
            raise PermissionDenied
        opts = self.model._meta
        formats = self.get_export_formats()
        job = job_start(
            tenant=request.tenant,
            kind=JobKind.STAFF_EXPORT,
            requested_by=request.user,
            params={
                "model": opts.label,
                "format": [fmt is type(file_format) for fmt in formats].index(True),
                "ids": list(queryset.values_list("pk", flat=True)),
                "filename": self.get_export_filename(request, queryset, file_format),
                "language": get_language() or "",
                "back_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
            },
            total=queryset.count(),
            run=build_staff_export.delay,
        )
        return redirect("admin:job", job.pk)

    def export_file_for_job(self, job: Job, progress: Progress) -> None:
        """The worker's part: the file, EXPORT_CHUNK rows at a time (each chunk read with the
        list's joins), counted on the job's progress bar."""
        request = HttpRequest()
        request.user, request.tenant = job.requested_by, job.tenant
        if request.user is None or not self.has_export_permission(request):
            raise PermissionDenied("the role no longer allows this export")
        file_format = self.get_export_formats()[job.params["format"]]()
        ids = job.params["ids"]
        progress.set_total(len(ids))
        queryset = self.get_queryset(request)
        # The joins the list makes (its ChangeList applies them): no query per row.
        if self.list_select_related is True:
            queryset = queryset.select_related()
        elif self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        native = type(file_format) in BINARY_FORMATS
        data = None
        with override(job.params.get("language") or job.tenant.locale):
            for start in range(0, len(ids), EXPORT_CHUNK):
                chunk = ids[start : start + EXPORT_CHUNK]
                order = {pk: n for n, pk in enumerate(chunk)}
                rows = sorted(queryset.filter(pk__in=chunk), key=lambda row: order[row.pk])
                part = self.get_data_for_export(request, rows, force_native_type=native)
                if data is None:
                    data = part
                else:
                    for row in part:
                        data.append(row)
                progress.advance(len(chunk))
            if data is None:
                data = self.get_data_for_export(request, queryset.none(), force_native_type=native)
            content = file_format.export_data(data)
            summary = ngettext("%(count)d row.", "%(count)d rows.", len(ids)) % {"count": len(ids)}
        if not file_format.is_binary():
            content = content.encode(self.to_encoding or "utf-8")
        progress.finish(
            content=content,
            filename=job.params["filename"],
            content_type=file_format.get_content_type(),
            summary=summary,
        )


class ServiceResource(resources.ModelResource):
    """An import resource whose rows are written by services, for one tenant and one actor.

    Subclasses load existing rows from `scoped_queryset()` only (another tenant's rows are
    never found, so never touched), and write in `write(instance, is_create, row)`."""

    def __init__(self, *, tenant: Tenant | None = None, actor: User | None = None) -> None:
        super().__init__()
        self.tenant = tenant
        self.actor = actor
        self._row_changes: list[tuple[str, str, str]] = []
        self._original = None

    class Meta:
        use_transactions = True
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = False  # the services validate, with the model's full rules
        skip_diff = True

    def scoped_queryset(self):
        """Each import resource (CustomerImportResource, ContactImportResource) says which of
        the tenant's rows it may find; the base has none to offer."""
        raise NotImplementedError(f"{type(self).__name__} must say which rows it may find")

    def after_init_instance(self, instance, new, row, **kwargs) -> None:
        self._original = None if new else deepcopy(instance)

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        """Unchanged: an existing row the file would leave as it is."""
        if import_validation_errors or self._original is None:
            return False
        return not self.changed_fields(instance, self._original)

    def get_queryset(self):
        if self.tenant is None:
            return self._meta.model._default_manager.none()
        return self.scoped_queryset()

    def label_of(self, field_name: str) -> str:
        for field in self.get_import_fields():
            if field.attribute == field_name or field.column_name == field_name:
                return str(field.column_name)
        if field_name == NON_FIELD_ERRORS:
            return ""
        try:
            return str(self._meta.model._meta.get_field(field_name).verbose_name)
        except FieldDoesNotExist:
            return field_name

    def import_row(self, row, instance_loader, **kwargs):
        self._row_changes, self._original = [], None
        row_result = super().import_row(row, instance_loader, **kwargs)
        # What the report shows of each row: its number in the file, what it names, what
        # changes (or why it is refused), in the staff member's language.
        row_result.number = kwargs.get("row_number")
        row_result.label = self.row_label(row)
        row_result.changes = self._row_changes
        row_result.status_label = IMPORT_TYPE_LABELS.get(row_result.import_type, "")
        row_result.problems = []
        if row_result.validation_error is not None:
            error = row_result.validation_error
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    row_result.problems += [(self.label_of(field), m) for m in errors]
            else:
                row_result.problems += [("", m) for m in error.messages]
        for error in row_result.errors:
            # Not a rule of ours but a fault: logged in full, named to the staff member without
            # the internals an exception may carry (SQL, paths).
            logger.error("Import row %s failed:\n%s", row_result.number, error.traceback)
            row_result.problems.append(
                ("", _("This row could not be imported because of an unexpected error."))
            )
        return row_result

    def row_label(self, row) -> str:
        return ""

    def changed_fields(self, instance, original) -> dict[str, Any]:
        return {
            f.attribute: getattr(instance, f.attribute)
            for f in self.get_import_fields()
            if f.attribute and getattr(instance, f.attribute) != getattr(original, f.attribute)
        }

    def note_changes(self, changes: dict[str, Any], original=None) -> None:
        def shown(value) -> str:
            if isinstance(value, list):
                return ", ".join(str(v) for v in value)
            return "" if value is None else str(value)

        self._row_changes = [
            (
                self.label_of(name),
                shown(getattr(original, name)) if original is not None else "",
                shown(value),
            )
            for name, value in changes.items()
            if original is not None or shown(value)
        ]

    def save_instance(self, instance, is_create, row, **kwargs):
        try:
            self.write(instance, is_create, row)
        except PermissionDenied as exc:
            # The role may not change a column of this row: a refused row, not a crash.
            raise ValidationError(
                _("Your role may not make this change (%(detail)s).") % {"detail": exc}
            ) from exc

    def write(self, instance, is_create: bool, row) -> None:
        """Each import resource writes its row through its own services (customer_create,
        customer_update, contact_add); the base writes nothing itself."""
        raise NotImplementedError(f"{type(self).__name__} must write through its services")


class ServiceImportMixin(ImportMixin):
    """CSV import through a ServiceResource, for the roles that may import
    (`customers.import`), tried and reported before it is confirmed."""

    import_resource_classes: list[type[ServiceResource]] = []
    import_template_name = "admin/import_export/kontor_import.html"
    import_form_class = BoundedImportForm
    tmp_storage_class = ImportFileStorage
    import_role_action = "customers.import"
    skip_admin_log = True  # the services write the audit trail

    def has_import_permission(self, request: HttpRequest) -> bool:
        # A platform admin acts at one business or not at all: rows belong to a tenant.
        return getattr(request, "tenant", None) is not None and self._may(
            request, self.import_role_action
        )

    def get_import_formats(self) -> list:
        return [CSV]

    def get_import_resource_classes(self, request: HttpRequest) -> list:
        return self.import_resource_classes

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs) -> dict:
        return {"tenant": request.tenant, "actor": request.user}

    def get_import_data_kwargs(self, **kwargs) -> dict:
        kwargs.pop("form", None)
        kwargs.pop("request", None)
        # All or nothing: a refused row undoes the rows before it.
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def _import_label(self) -> str:
        return self.model._meta.label_lower

    def get_confirm_form_initial(self, request: HttpRequest, import_form) -> dict:
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["import_file_name"] = signing.dumps(
                [
                    request.user.pk,
                    request.tenant.pk,
                    self._import_label(),
                    str(initial.get("resource") or ""),
                    str(initial["format"]),
                    initial["import_file_name"],
                ],
                salt=_IMPORT_SALT,
            )
        return initial

    def import_action(self, request: HttpRequest, **kwargs) -> HttpResponse:
        response = super().import_action(request, **kwargs)
        # A file whose dry run refused rows can never be confirmed: it goes at once.
        context = getattr(response, "context_data", None) or {}
        form = context.get("form")
        if context.get("confirm_form") is None and form is not None and form.is_bound:
            upload = getattr(form, "cleaned_data", {}).get("import_file")
            name = getattr(upload, "tmp_storage_name", None)
            if name:
                self._remove_import_file(name)
        return response

    @staticmethod
    def _remove_import_file(name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            ImportFileStorage(name=name).remove()

    def process_import(self, request: HttpRequest, **kwargs) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return super().process_import(request, **kwargs)  # which refuses it
        expired = _("This import expired: upload the file again.")
        try:
            user_id, tenant_id, label, resource, file_format, name = signing.loads(
                request.POST.get("import_file_name", ""),
                salt=_IMPORT_SALT,
                max_age=_IMPORT_MAX_AGE,
            )
        except (signing.BadSignature, ValueError, TypeError):
            return HttpResponseBadRequest(expired)
        if (user_id, tenant_id, label) != (
            request.user.pk,
            request.tenant.pk,
            self._import_label(),
        ):
            # Another person's, another business's, or tried as another list's rows.
            return HttpResponseBadRequest(expired)
        post = request.POST.copy()
        # Confirmed as it was tried: the same file, read the same way, by the same resource.
        post.update({"import_file_name": name, "resource": resource, "format": file_format})
        request.POST = post
        try:
            return super().process_import(request, **kwargs)
        except FileNotFoundError:  # confirmed twice: the first confirmation used the file up
            messages.error(request, _("This import has already run or expired."))
            return redirect(self._import_url())
        finally:
            # Used once, whatever came of it (imported, refused, a fault): never left behind.
            self._remove_import_file(name)

    def _import_url(self) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_import")

    def process_result(self, result, request: HttpRequest) -> HttpResponse:
        if result.has_errors() or result.has_validation_errors():
            # Rolled back as a whole: say so, and show the rows again with their reasons.
            messages.error(request, _("Nothing was imported: some rows were refused."))
            context = {
                **self.admin_site.each_context(request),
                "title": _("Import"),
                "opts": self.model._meta,
                "form": self.get_import_form_class(request)(
                    self.get_import_formats(), self.get_import_resource_classes(request)
                ),
                "result": result,
                "import_error_display": self.import_error_display,
            }
            return TemplateResponse(request, [self.import_template_name], context, status=400)
        totals = result.totals
        messages.success(
            request,
            _("Import done: %(new)d new, %(updated)d updated, %(unchanged)d unchanged.")
            % {
                "new": totals[RowResult.IMPORT_TYPE_NEW],
                "updated": totals[RowResult.IMPORT_TYPE_UPDATE],
                "unchanged": totals[RowResult.IMPORT_TYPE_SKIP],
            },
        )
        return super().process_result(result, request)

    def add_success_message(self, result, request: HttpRequest) -> None:
        pass  # said in process_result, in the staff member's words


@shared_task(name="core.tasks.build_staff_export", acks_late=True)
def build_staff_export(job_id: int) -> None:
    """Write a back-office export started by TenantExportMixin. Beside the admin that starts it
    (not in core.tasks): the rows are read by the list's own admin, for the person who asked.
    The admin modules are loaded in the worker too (Django's admin autodiscovers them)."""
    with job_running(job_id) as progress:
        if progress is None:
            return
        model = apps.get_model(progress.job.params["model"])
        progress.job.tenant = Tenant.objects.get(pk=progress.job.tenant_id)
        admin.site._registry[model].export_file_for_job(progress.job, progress)
