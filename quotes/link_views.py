"""The e-mailed quote link's pages: the quote, its PDF, and approving or declining it without
a login, as the business allows (quote_link_approval)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.documents.links import invoice_link_path
from billing.payments.gateways import gateway_for
from contracts.portal_links import EMAIL_PARAM, SCOPE_PARAM, document_portal_entry
from core.licence import LicenceModule, licence_required
from core.roles import SYSTEM
from core.signing import LinkInvalid
from quotes import selectors
from quotes.approval import quote_approve
from quotes.links import quote_from_token, quote_link_path
from quotes.models import Quote
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

# ---------------------------------------------------------------------------------------------
# The e-mailed link: no login. The signed token is the authority, so the services act as
# SYSTEM; whether a link may approve at all is the business's choice (quote_link_approval).


def _linked(request: HttpRequest, token: str) -> Quote | None:
    try:
        return quote_from_token(tenant=request.tenant, token=token)
    except LinkInvalid:
        return None


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "quotes/link_invalid.html", status=404)


def _link_page(request, quote: Quote, token: str, *, form=None, status=200) -> HttpResponse:
    quote = selectors.quote_with_details(quote)
    context = quote_context(quote)
    link_approval = quote.tenant.quote_link_approval
    if context["is_open"] and link_approval and form is None:
        form = approve_form(quote, via_link=True)
    portal_entry = document_portal_entry(
        tenant=request.tenant,
        customer=quote.customer,
        scope=request.GET.get(SCOPE_PARAM, ""),
        email=request.GET.get(EMAIL_PARAM, ""),
        next_path=reverse("quote_detail", args=[quote.pk]),
    )
    return render(
        request,
        "quotes/link.html",
        {
            **context,
            "token": token,
            "may_approve": link_approval,
            "form": form,
            "terms": current_terms(quote) if context["is_open"] else None,
            # "Log in to approve": the login, the recipient's address filled in when known.
            "login_url": portal_entry["portal_login_url"],
            "approve_url": reverse("quote_link_approve", args=[token]),
            "decline_url": reverse("quote_link_decline", args=[token]),
            "became": became(quote, invoice_link_path),
            "pdf_url": reverse("quote_by_link_pdf", args=[token]),
            "newer_url": quote_link_path(context["newer"]) if context["newer"] else "",
            **portal_entry,
        },
        status=status,
    )


@licence_required(LicenceModule.QUOTES)
def quote_by_link(request: HttpRequest, token: str) -> HttpResponse:
    quote = _linked(request, token)
    if quote is None:
        return _invalid(request)
    return _link_page(request, quote, token)


@licence_required(LicenceModule.QUOTES)
def quote_by_link_pdf(request: HttpRequest, token: str) -> HttpResponse:
    quote = _linked(request, token)
    if quote is None:
        return _invalid(request)
    return pdf_response(quote)


@licence_required(LicenceModule.QUOTES)
@require_POST
def quote_link_approve(request: HttpRequest, token: str) -> HttpResponse:
    quote = _linked(request, token)
    if quote is None:
        return _invalid(request)
    back = reverse("quote_by_link", args=[token])
    if not quote.tenant.quote_link_approval:
        messages.error(request, _("Log in to approve this quote."))
        return redirect(back)
    form = approve_form(quote, via_link=True, data=request.POST)
    if form.is_valid():
        try:
            quote = quote_approve(
                quote=quote,
                actor=SYSTEM,
                approval=approval_of(request, form),
                today=timezone.localdate(),
            )
        except ValidationError as exc:
            if terms_changed(form, exc):
                return terms_changed_page(request, back)
            if closed_meanwhile(request, quote, exc):
                return redirect(back)
            form.add_service_error(exc)
        else:
            return _after_link_approval(request, quote, back)
    elif terms_changed(form):
        return terms_changed_page(request, back)
    return _link_page(request, quote, token, form=form, status=400)


def _after_link_approval(request: HttpRequest, quote: Quote, back: str) -> HttpResponse:
    """Through the link the invoice's own signed link follows: its card payment where the
    business takes cards (or at its bank's page), else its page with the bank details."""
    approved_message(request, quote)
    due = to_pay(quote)
    invoice = due or quote.deposit_invoice or quote.invoice
    if invoice is None:
        return redirect(back)
    gateway = gateway_for(quote.tenant)
    if due and (gateway.takes_cards or gateway.pays_at_bank):
        return redirect(invoice_link_path(invoice) + "pay/")
    return redirect(invoice_link_path(invoice))


@licence_required(LicenceModule.QUOTES)
def quote_link_decline(request: HttpRequest, token: str) -> HttpResponse:
    quote = _linked(request, token)
    if quote is None:
        return _invalid(request)
    back = reverse("quote_by_link", args=[token])
    if not quote.tenant.quote_link_approval:
        messages.error(request, _("Log in to answer this quote."))
        return redirect(back)
    return decline_page(request, quote, actor=SYSTEM, back=back, base="base.html")
