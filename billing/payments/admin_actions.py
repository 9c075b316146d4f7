"""The invoice list's payment actions, mixed into the invoice back office beside documents'
actions: record the full payment, refund in full."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from billing.documents.models import PAYABLE
from billing.payments.refunds import credit_note_refund
from billing.payments.services import invoice_mark_paid


class InvoicePaymentActions:
    """Needs the host's `_today` and `_note_in_full` (documents' InvoiceActions)."""

    @admin.action(
        description=_("Record the full payment of the selected invoices (bank transfer)"),
        permissions=["finalize"],
    )
    def mark_paid(self, request: HttpRequest, queryset) -> None:
        for invoice in queryset.select_related("tenant").order_by("id"):
            if invoice.status not in PAYABLE:
                messages.warning(request, _("%(number)s is not open.") % {"number": invoice})
                continue
            try:
                invoice_mark_paid(
                    invoice=invoice,
                    actor=request.user,
                    amount=invoice.amount_due,
                    received_on=self._today(invoice),
                )
            except ValidationError as exc:
                messages.warning(request, f"{invoice}: {' '.join(exc.messages)}")
            else:
                messages.success(request, _("%(number)s is paid.") % {"number": invoice})

    @admin.action(
        description=_("Refund the selected invoices in full (credit note, money back)"),
        permissions=["refund"],
    )
    def refund_in_full(self, request: HttpRequest, queryset) -> None:
        self._note_in_full(
            request,
            queryset,
            issue=credit_note_refund,
            reason=_("Refunded in full by the back office"),
            done=_("Credit note %(number)s issued; the money is being refunded."),
        )

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "payments.refund")
