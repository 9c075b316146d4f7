"""The customer's side of quotes in the portal (logged in): the list, one quote, its PDF,
approving and declining it. Views parse, call one service of quotes.approval, and say where to
go next."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing.payments.gateways import gateway_for
from contracts.access import customer_required
from core.licence import LicenceModule, licence_required
from core.page_cache import cached_page
from core.roles import may
from quotes import selectors
from quotes.approval import quote_approve
from quotes.models import Quote, QuoteStatus
from quotes.selectors import current_terms
from quotes.views.common import (
    approval_of,
    approve_form,
    approved_message,
    became,
    closed_meanwhile,
    decline_page,
    pdf_response,
    quote_context,
    terms_changed,
    terms_changed_page,
    to_pay,
)


def _quote(request: HttpRequest, quote_id: int) -> Quote:
    return get_object_or_404(
        selectors.quote_detail_queryset(tenant=request.tenant, customer=request.customer),
        pk=quote_id,
    )


def _may_approve(request: HttpRequest) -> bool:
    return may(
        request.user, "quote.approve", tenant=request.tenant, customer_id=request.customer.pk
    )


@licence_required(LicenceModule.QUOTES)
@customer_required
@cached_page
def quote_list(request: HttpRequest) -> HttpResponse:
    quotes = list(selectors.quote_list(tenant=request.tenant, customer=request.customer))
    today = timezone.localdate()
    for quote in quotes:
        quote.open = quote.status == QuoteStatus.SENT and not quote.is_past_validity(today)
    return render(
        request,
        "quotes/list.html",
        {
            "section_key": "quotes",
            "pending": [q for q in quotes if q.status == QuoteStatus.SENT],
            "others": [q for q in quotes if q.status != QuoteStatus.SENT],
            "may_request": may(
                request.user,
                "quote.request",
                tenant=request.tenant,
                customer_id=request.customer.pk,
            ),
        },
    )


def _detail(request: HttpRequest, quote: Quote, *, form=None, status: int = 200) -> HttpResponse:
    context = quote_context(quote)
    may_approve = _may_approve(request)
    if context["is_open"] and may_approve and form is None:
        form = approve_form(quote, via_link=False)
    return render(
        request,
        "quotes/detail.html",
        {
            **context,
            "section_key": "quotes",
            "may_approve": may_approve,
            "form": form,
            "terms": current_terms(quote) if context["is_open"] else None,
            "approve_url": reverse("quote_approve", args=[quote.pk]),
            "decline_url": reverse("quote_decline", args=[quote.pk]),
            "became": became(quote, lambda i: reverse("invoice_detail", args=[i.pk])),
            "link_subscriptions": True,
            "newer_url": reverse("quote_detail", args=[context["newer"].pk])
            if context["newer"]
            else "",
            "pdf_url": reverse("quote_pdf", args=[quote.pk]),
        },
        status=status,
    )


@licence_required(LicenceModule.QUOTES)
@customer_required
@cached_page
def quote_detail(request: HttpRequest, quote_id: int) -> HttpResponse:
    return _detail(request, _quote(request, quote_id))


@licence_required(LicenceModule.QUOTES)
@customer_required
def quote_pdf(request: HttpRequest, quote_id: int) -> FileResponse:
    return pdf_response(_quote(request, quote_id))


@licence_required(LicenceModule.QUOTES)
@customer_required
@require_POST
def quote_approve_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    quote = _quote(request, quote_id)
    if not _may_approve(request):
        raise PermissionDenied
    form = approve_form(quote, via_link=False, data=request.POST)
    if form.is_valid():
        try:
            quote = quote_approve(
                quote=quote,
                actor=request.user,
                approval=approval_of(request, form),
                today=timezone.localdate(),
            )
        except ValidationError as exc:
            if terms_changed(form, exc):
                return terms_changed_page(request, reverse("quote_detail", args=[quote.pk]))
            if closed_meanwhile(request, quote, exc):
                return redirect("quote_detail", quote_id=quote.pk)
            form.add_service_error(exc)
        else:
            return _after_approval(request, quote)
    elif terms_changed(form):
        return terms_changed_page(request, reverse("quote_detail", args=[quote.pk]))
    return _detail(request, quote, form=form, status=400)


def _after_approval(request: HttpRequest, quote: Quote) -> HttpResponse:
    """Where the approval leads: paying what is due now (by card where the business takes
    cards or at its bank's page; else the invoice with its bank details), or, with nothing
    to invoice, the quote."""
    approved_message(request, quote)
    invoice = to_pay(quote) or quote.deposit_invoice or quote.invoice
    if invoice is None:
        return redirect("quote_detail", quote_id=quote.pk)
    gateway = gateway_for(request.tenant)
    if to_pay(quote) and (gateway.takes_cards or gateway.pays_at_bank):
        return redirect("invoice_pay", invoice_id=invoice.pk)
    return redirect("invoice_detail", invoice_id=invoice.pk)


@licence_required(LicenceModule.QUOTES)
@customer_required
def quote_decline_view(request: HttpRequest, quote_id: int) -> HttpResponse:
    """Asks first (with an optional reason), then declines."""
    quote = _quote(request, quote_id)
    if not _may_approve(request):
        raise PermissionDenied
    back = reverse("quote_detail", args=[quote.pk])
    return decline_page(request, quote, actor=request.user, back=back, base="portal/_layout.html")
