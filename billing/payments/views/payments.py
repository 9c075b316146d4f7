"""Portal pages of the payments made: the list and each one's receipt."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from billing.documents.pdf import receipt_pdf
from billing.payments import selectors
from billing.payments.receipts import receipt_of
from contracts.access import customer_required
from core.page_cache import cached_page
from core.paging import keyset_page


@customer_required
@cached_page
def payment_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "billing/payments.html",
        {
            "section_key": "payments",
            "payments": keyset_page(
                selectors.payment_list(tenant=request.tenant, customer=request.customer),
                selectors.PAYMENT_ORDER,
                after=request.GET.get("after"),
                before=request.GET.get("before"),
            ),
        },
    )


@customer_required
def payment_receipt(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = get_object_or_404(
        selectors.payment_receipt_list(tenant=request.tenant, customer=request.customer),
        pk=payment_id,
    )
    receipt = receipt_of(payment)
    if receipt is None:
        raise Http404
    # The PDF stored when the receipt was issued (rendered now only if its worker has not yet).
    stored = receipt_pdf(receipt)
    return FileResponse(
        stored.pdf.open("rb"),
        as_attachment=True,
        filename=f"{stored.number}.pdf",
        content_type="application/pdf",
    )
