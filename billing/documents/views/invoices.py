"""Portal pages of invoices: the list (unpaid / paid / all), one invoice, and the recurring
invoices (what each subscription bills per period)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from billing.documents import selectors
from billing.documents.calculations import issued_tax_by_rate
from billing.documents.credit_notes import customer_credit_balance
from billing.documents.models import PAYABLE
from contracts.access import customer_required
from core.page_cache import cached_page
from core.paging import keyset_page
from core.roles import may
from subscriptions.selectors import interval_label
from subscriptions.services import subscription_period_amount


@customer_required
@cached_page
def invoice_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "all")
    if show not in selectors.INVOICE_FILTERS:
        show = "all"
    invoices = keyset_page(
        selectors.invoice_list(tenant=request.tenant, customer=request.customer, show=show),
        selectors.INVOICE_ORDER,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
    )
    return render(
        request,
        "billing/invoices.html",
        {
            "section_key": "invoices",
            "invoices": invoices,
            "show": show,
            "today": timezone.localdate(),
            **credit_notes_paged(request),
            "credit_keep": f"show={show}&",
            "credit_balance": customer_credit_balance(
                request.customer, request.tenant.default_currency
            ),
            "currency": request.tenant.default_currency,
        },
    )


@customer_required
@cached_page
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = get_object_or_404(
        selectors.invoice_list(tenant=request.tenant, customer=request.customer, with_lines=True),
        pk=invoice_id,
    )
    lines = list(invoice.lines.all())
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "section_key": "invoices",
            "invoice": invoice,
            "lines": lines,
            "orders": selectors.invoice_orders(invoice=invoice) if _bills_orders(lines) else [],
            "tax_by_rate": issued_tax_by_rate(lines).items(),
            "overdue": invoice.is_overdue(timezone.localdate()),
            "may_pay": invoice.status in PAYABLE
            and invoice.amount_due > 0
            and may(
                request.user, "invoice.pay", tenant=request.tenant, customer_id=invoice.customer_id
            ),
            # What corrected it (a voided invoice: the note that cancels it), and the money.
            "credit_notes": with_outcomes(
                selectors.credit_note_list(tenant=request.tenant, customer=request.customer).filter(
                    invoice=invoice
                )
            ),
        },
    )


@customer_required
def recurring_invoices(request: HttpRequest) -> HttpResponse:
    rows = [
        {
            "subscription": s,
            "amount": subscription_period_amount(s),
            "interval": interval_label(s.interval_months),
        }
        for s in selectors.recurring_list(tenant=request.tenant, customer=request.customer)
    ]
    return render(request, "billing/recurring.html", {"section_key": "invoices", "rows": rows})


def credit_notes_paged(request: HttpRequest) -> dict:
    """The customer's credit notes, a page at a time: `credit_notes` and their `credit_page`
    (templates/billing/_credit_notes.html shows the pager)."""
    after, before = selectors.CREDIT_NOTE_PARAMETERS
    page = selectors.credit_note_page(
        tenant=request.tenant,
        customer=request.customer,
        after=request.GET.get(after),
        before=request.GET.get(before),
    )
    return {"credit_notes": with_outcomes(page), "credit_page": page}


def with_outcomes(notes) -> list:
    """The notes, each with what became of its money in words (`money_outcome`)."""
    notes = list(notes)
    for note in notes:
        note.money_outcome = selectors.credit_note_outcome_sentences(note)
    return notes


def _bills_orders(lines) -> bool:
    return any(line.order_id for line in lines)
