"""The e-mailed invoice link: the invoice, its PDF and paying it, without logging in. The link
authorizes paying that one invoice with a card entered here (through Stripe.js); the customer's
saved cards are neither shown nor charged without a login. The card is kept for future payments
only if asked."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.documents.calculations import issued_tax_by_rate
from billing.documents.links import invoice_from_token
from billing.documents.models import PAYABLE, Invoice
from billing.documents.pdf import invoice_pdf
from billing.documents.views.downloads import pdf_download
from billing.payments.gateways import GatewayError, gateway_for
from billing.payments.models import AttemptStatus, PaymentAttempt, PaymentMethod
from billing.payments.services import (
    attempt_refresh,
    invoice_pay,
    link_card_setup_start,
    link_card_take,
    payment_method_forget,
    payment_method_set_default,
)
from billing.payments.views.bank import bank_pay
from contracts.portal_links import EMAIL_PARAM, SCOPE_PARAM, document_portal_entry
from core.roles import SYSTEM
from core.signing import LinkInvalid

FORGET = "kontor_link_forget_cards"  # session: cards to drop once their payment is settled


def _invoice(request: HttpRequest, token: str) -> Invoice | None:
    try:
        return invoice_from_token(tenant=request.tenant, token=token)
    except LinkInvalid:
        return None


def _pays_by_card(gateway) -> bool:
    return gateway.takes_cards or gateway.pays_at_bank


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "billing/link_invalid.html", status=404)


def invoice_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """An e-mailed link: this one invoice, no login needed."""
    invoice = _invoice(request, token)
    if invoice is None:
        return _invalid(request)
    lines = list(invoice.lines.all())
    return render(
        request,
        "billing/invoice_public.html",
        {
            "invoice": invoice,
            "lines": lines,
            "token": token,
            "tax_by_rate": issued_tax_by_rate(lines).items(),
            "overdue": invoice.is_overdue(timezone.localdate()),
            "may_pay": invoice.status in PAYABLE
            and invoice.amount_due > 0
            and _pays_by_card(gateway_for(invoice.tenant)),
            **document_portal_entry(
                tenant=request.tenant,
                customer=invoice.customer,
                scope=request.GET.get(SCOPE_PARAM, ""),
                email=request.GET.get(EMAIL_PARAM, ""),
                next_path=reverse("invoice_detail", args=[invoice.pk]),
            ),
        },
    )


def invoice_by_link_pdf(request: HttpRequest, token: str) -> HttpResponse:
    invoice = _invoice(request, token)
    if invoice is None:
        return _invalid(request)
    return pdf_download(invoice_pdf(invoice))


def invoice_link_pay(request: HttpRequest, token: str) -> HttpResponse:
    invoice = _invoice(request, token)
    if invoice is None:
        return _invalid(request)
    back = reverse("invoice_by_link", args=[token])
    if invoice.status not in PAYABLE or invoice.amount_due <= 0:
        messages.info(request, _("This invoice has nothing left to pay."))
        return redirect(back)
    gateway = gateway_for(invoice.tenant)
    if gateway.pays_at_bank:
        # Nobody is logged in: the signed link is the authority, so the system opens the order.
        return bank_pay(
            request,
            gateway=gateway,
            invoice=invoice,
            actor=SYSTEM,
            return_path=back,
            context={"base_template": "base.html", "back_url": back},
        )
    if request.method == "POST":
        try:
            card = link_card_take(
                invoice=invoice, setup_id=request.POST.get("setup_intent", "")[:255]
            )
        except GatewayError as exc:
            messages.error(request, exc.message)
            return redirect(request.path)
        # Nobody is logged in: the signed link, checked by `_invoice`, is the authority, so
        # the services act as SYSTEM here (audited as "system", as before).
        if request.POST.get("save_card"):
            # Kept to pay what comes next (e.g. after a renewal was declined): the default.
            payment_method_set_default(method=card, actor=SYSTEM)
        else:
            request.session.setdefault(FORGET, []).append(card.pk)
            request.session.modified = True
        try:
            attempt = invoice_pay(invoice=invoice, method=card, actor=SYSTEM)
        except ValidationError as exc:  # paid meanwhile, or a payment under way
            _forget_unsaved_cards(request, invoice)
            messages.error(request, " ".join(exc.messages))
            return redirect(back)
        return _outcome(request, token, invoice, attempt)
    try:
        publishable_key, client_secret = link_card_setup_start(invoice=invoice)
    except GatewayError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    return render(
        request,
        "billing/invoice_link_pay.html",
        {
            "invoice": invoice,
            "token": token,
            "stripe_js": settings.STRIPE_JS_URL,
            "publishable_key": publishable_key,
            "client_secret": client_secret,
            "keep": bool(request.GET.get("keep")),
        },
    )


def _forget_unsaved_cards(request: HttpRequest, invoice: Invoice) -> None:
    for pk in request.session.pop(FORGET, []):
        card = PaymentMethod.objects.filter(pk=pk, customer=invoice.customer_id).first()
        if card is None:
            continue
        try:
            gateway_for(invoice.tenant).card_detach(card)
        except GatewayError:
            continue  # stays saved; the customer can remove it after logging in
        payment_method_forget(method=card, actor=SYSTEM)


def _outcome(request, token: str, invoice: Invoice, attempt: PaymentAttempt) -> HttpResponse:
    back = reverse("invoice_by_link", args=[token])
    if attempt.status == AttemptStatus.REQUIRES_ACTION and attempt.client_secret:
        return render(
            request,
            "billing/invoice_pay_confirm.html",
            {
                "invoice": invoice,
                "attempt": attempt,
                "confirm_url": reverse("invoice_link_pay_confirmed", args=[token, attempt.pk]),
                "stripe_js": settings.STRIPE_JS_URL,
                "publishable_key": gateway_for(invoice.tenant).publishable_key,
                "base_template": "base.html",
            },
        )
    _forget_unsaved_cards(request, invoice)
    if attempt.status == AttemptStatus.SUCCEEDED:
        messages.success(request, _("Thank you: the invoice is paid."))
        return redirect(back)
    if attempt.status == AttemptStatus.PROCESSING:
        if attempt.failure_message:  # no answer from the gateway: nothing known yet
            messages.error(request, attempt.failure_message)
        else:
            messages.info(request, _("Your payment is being processed; this page will show it."))
        return redirect(back)
    messages.error(
        request,
        _("The payment failed: %(reason)s")
        % {"reason": attempt.failure_message or _("the card was declined.")},
    )
    return redirect("invoice_link_pay", token=token)


@require_POST
def invoice_link_pay_confirmed(request: HttpRequest, token: str, attempt_id: int) -> HttpResponse:
    invoice = _invoice(request, token)
    if invoice is None:
        return _invalid(request)
    attempt = get_object_or_404(invoice.payment_attempts, pk=attempt_id)
    try:
        attempt = attempt_refresh(attempt=attempt, actor=SYSTEM)
    except GatewayError as exc:
        messages.error(request, exc.message)
        return redirect("invoice_by_link", token=token)
    if attempt.status == AttemptStatus.REQUIRES_ACTION:
        attempt.status = AttemptStatus.FAILED
        attempt.failure_message = _("the card's confirmation was not completed.")
    return _outcome(request, token, invoice, attempt)
