"""Portal pages of the payments made: the list and each one's receipt."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from billing.documents.pdf import render_receipt_pdf
from billing.payments import selectors
from contracts.access import customer_required


@customer_required
def payment_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "billing/payments.html",
        {
            "section_key": "payments",
            "payments": selectors.payment_list(tenant=request.tenant, customer=request.customer),
        },
    )


@customer_required
def payment_receipt(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = get_object_or_404(
        selectors.payment_receipt_list(tenant=request.tenant, customer=request.customer),
        pk=payment_id,
    )
    response = HttpResponse(render_receipt_pdf(payment), content_type="application/pdf")
    name = f"receipt-{payment.received_on.isoformat()}-{payment.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
