"""Bulk actions on invoices (role-gated through `permissions=`)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from billing.documents.credit_notes import credit_note_issue
from billing.documents.emails import invoice_mark_sent
from billing.documents.models import Invoice, InvoiceStatus
from billing.documents.regeneration import invoice_pdfs_job_start
from billing.documents.services import invoice_finalize, invoice_mark_uncollectible, invoice_void
from billing.documents.tasks import send_invoice_emails
from core.audit import audit_record
from subscriptions.periods import local_today


class InvoiceActions:
    """The invoice list's bulk actions; each goes through the services, one invoice at a time,
    and reports per invoice what it could not do."""

    def _today(self, invoice: Invoice):
        """Documents are dated by the business's calendar day, not the server's."""
        return local_today(timezone.now(), invoice.tenant.timezone)

    @admin.action(
        description=_("Render the missing PDFs of the selected invoices (and check the stored)"),
        permissions=["finalize"],
    )
    def render_pdfs(self, request: HttpRequest, queryset) -> HttpResponseRedirect | None:
        """A job with a progress bar: a finalized invoice's PDF is stored once, from its frozen
        snapshot (billing.documents.regeneration); drafts have none."""
        if request.tenant is None:  # a platform admin on the bare host: which business's?
            messages.error(request, _("Open the back office at the business's address for this."))
            return None
        job = invoice_pdfs_job_start(
            tenant=request.tenant,
            actor=request.user,
            invoice_ids=list(queryset.values_list("pk", flat=True)),
            language=get_language() or "",
            back_url=request.get_full_path(),
        )
        return redirect("admin:job", job.pk)

    @admin.action(description=_("Finalize the selected drafts"), permissions=["finalize"])
    def finalize(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset.filter(status=InvoiceStatus.DRAFT).order_by("id"):
            try:
                done = invoice_finalize(
                    invoice=invoice, actor=request.user, today=self._today(invoice)
                )
            except ValidationError as exc:
                messages.warning(request, f"{invoice}: {' '.join(exc.messages)}")
            else:
                messages.success(request, _("Finalized as %(number)s.") % {"number": done})

    @admin.action(
        description=_("Finalize the selected drafts as handed over outside Kontor (no e-mail)"),
        permissions=["finalize"],
    )
    def finalize_as_sent(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset.filter(status=InvoiceStatus.DRAFT).order_by("id"):
            try:
                with transaction.atomic():
                    done = invoice_finalize(
                        invoice=invoice, actor=request.user, today=self._today(invoice)
                    )
                    # Recorded before the queued e-mail runs (after commit), which then skips it.
                    invoice_mark_sent(invoice=done, actor=request.user)
            except ValidationError as exc:
                messages.warning(request, f"{invoice}: {' '.join(exc.messages)}")
            else:
                messages.success(request, _("Finalized as %(number)s.") % {"number": done})

    @admin.action(description=_("E-mail the selected invoices (again)"), permissions=["finalize"])
    def email(self, request: HttpRequest, queryset) -> None:
        sendable = queryset.exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID])
        ids = list(sendable.values_list("id", flat=True))
        for invoice in sendable:
            audit_record(
                tenant=invoice.tenant, actor=request.user, action="invoice.emailed", obj=invoice
            )
        transaction.on_commit(lambda: send_invoice_emails.delay(ids, again=True))
        messages.success(
            request,
            ngettext(
                "%(count)d invoice is being e-mailed.",
                "%(count)d invoices are being e-mailed.",
                len(ids),
            )
            % {"count": len(ids)},
        )

    @admin.action(description=_("Credit the selected invoices in full"), permissions=["finalize"])
    def credit_in_full(self, request: HttpRequest, queryset) -> None:
        self._note_in_full(
            request,
            queryset,
            issue=credit_note_issue,
            reason=_("Credited in full by the back office"),
            done=_("Credit note %(number)s issued."),
        )

    def _note_in_full(self, request, queryset, *, issue, reason, done) -> None:
        for invoice in queryset.select_related("tenant").order_by("id"):
            try:
                note = issue(
                    invoice=invoice,
                    actor=request.user,
                    today=self._today(invoice),
                    reason=str(reason),
                )
            except ValidationError as exc:
                messages.warning(request, f"{invoice}: {' '.join(exc.messages)}")
            else:
                messages.success(request, done % {"number": note.number})

    @admin.action(
        description=_("Mark the selected invoices as sent (handed over outside Kontor)"),
        permissions=["finalize"],
    )
    def mark_sent(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset.select_related("tenant").order_by("id"):
            try:
                marked = invoice_mark_sent(invoice=invoice, actor=request.user)
            except ValidationError as exc:
                messages.warning(request, f"{invoice}: {' '.join(exc.messages)}")
            else:
                done = (
                    _("%(number)s is marked as sent.")
                    if marked
                    else _("%(number)s was sent already.")
                )
                messages.success(request, done % {"number": invoice})

    @admin.action(
        description=_("Write off the selected invoices (uncollectible)"), permissions=["void"]
    )
    def mark_uncollectible(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset.order_by("id"):
            try:
                invoice_mark_uncollectible(
                    invoice=invoice, actor=request.user, reason="back office"
                )
            except ValidationError as exc:
                messages.warning(request, f"{invoice}: {' '.join(exc.messages)}")
            else:
                messages.success(request, _("%(number)s is written off.") % {"number": invoice})

    @admin.action(
        description=_("Void the selected invoices (each gets a credit note for its full amount)"),
        permissions=["void"],
    )
    def void(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset.select_related("tenant").order_by("id"):
            try:
                note = invoice_void(
                    invoice=invoice,
                    actor=request.user,
                    reason="back office",
                    today=self._today(invoice),
                )
            except ValidationError as exc:
                messages.warning(request, f"{invoice}: {' '.join(exc.messages)}")
            else:
                messages.success(
                    request,
                    _("%(invoice)s is void; credit note %(number)s cancels it.")
                    % {"invoice": invoice, "number": note.number},
                )
