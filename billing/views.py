"""Portal pages of invoices: the list (unpaid / paid / all) and one invoice."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from billing import selectors
from billing.calculations import totals
from billing.credit_notes import customer_credit_balance
from billing.links import invoice_from_token
from billing.models import Invoice
from billing.pdf import invoice_pdf
from contracts.access import customer_required
from core.signing import LinkInvalid


@customer_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "all")
    if show not in selectors.INVOICE_FILTERS:
        show = "all"
    invoices = selectors.invoice_list(tenant=request.tenant, customer=request.customer, show=show)
    return render(
        request,
        "billing/invoices.html",
        {
            "section_key": "invoices",
            "invoices": invoices,
            "show": show,
            "today": timezone.localdate(),
            "credit_notes": selectors.credit_note_list(
                tenant=request.tenant, customer=request.customer
            ),
            "credit_balance": customer_credit_balance(
                request.customer, request.tenant.default_currency
            ),
            "currency": request.tenant.default_currency,
        },
    )


@customer_required
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    try:
        invoice = selectors.invoice_get(
            tenant=request.tenant, customer=request.customer, pk=invoice_id
        )
    except Invoice.DoesNotExist as exc:
        raise Http404 from exc
    lines = list(invoice.lines.all())
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "section_key": "invoices",
            "invoice": invoice,
            "lines": lines,
            "tax_by_rate": totals(lines).tax_by_rate.items(),
            "overdue": invoice.is_overdue(timezone.localdate()),
        },
    )


@customer_required
def invoice_pdf_download(request: HttpRequest, invoice_id: int) -> FileResponse:
    try:
        invoice = selectors.invoice_get(
            tenant=request.tenant, customer=request.customer, pk=invoice_id
        )
    except Invoice.DoesNotExist as exc:
        raise Http404 from exc
    stored = invoice_pdf(invoice)
    return FileResponse(
        stored.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{stored.number}.pdf",
    )


def _linked_invoice(request: HttpRequest, token: str) -> Invoice | None:
    try:
        return invoice_from_token(tenant=request.tenant, token=token)
    except LinkInvalid:
        return None


def invoice_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """An e-mailed link: this one invoice, no login needed."""
    invoice = _linked_invoice(request, token)
    if invoice is None:
        return render(request, "billing/link_invalid.html", status=404)
    lines = list(invoice.lines.all())
    return render(
        request,
        "billing/invoice_public.html",
        {
            "invoice": invoice,
            "lines": lines,
            "token": token,
            "tax_by_rate": totals(lines).tax_by_rate.items(),
            "overdue": invoice.is_overdue(timezone.localdate()),
        },
    )


def invoice_by_link_pdf(request: HttpRequest, token: str) -> HttpResponse:
    invoice = _linked_invoice(request, token)
    if invoice is None:
        return render(request, "billing/link_invalid.html", status=404)
    stored = invoice_pdf(invoice)
    return FileResponse(
        stored.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{stored.number}.pdf",
    )


@customer_required
def recurring_invoices(request: HttpRequest) -> HttpResponse:
    from subscriptions.selectors import interval_label
    from subscriptions.services import subscription_period_amount

    rows = [
        {
            "subscription": s,
            "amount": subscription_period_amount(s),
            "interval": interval_label(s.interval_months),
        }
        for s in selectors.recurring_list(tenant=request.tenant, customer=request.customer)
    ]
    return render(request, "billing/recurring.html", {"section_key": "invoices", "rows": rows})
