"""Portal pages for paying: saved cards (list, add through Stripe.js, make default, remove),
paying an invoice, and the payments made. Card numbers go from the browser to the gateway; these
views only ever see the gateway's ids."""

from __future__ import annotations

from datetime import date

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.documents import selectors as document_selectors
from billing.documents.models import PAYABLE, Invoice
from billing.documents.pdf import render_receipt_pdf
from billing.payments import selectors
from billing.payments.forms import InvoicePayForm
from billing.payments.gateways import GatewayError, gateway_for
from billing.payments.models import AttemptStatus, PaymentAttempt, PaymentMethod
from billing.payments.services import (
    attempt_refresh,
    auto_charged_subscriptions,
    card_setup_start,
    invoice_pay,
    partial_payments_allowed,
    payment_method_remove,
    payment_method_save,
    payment_method_set_default,
)
from billing.payments.webhooks import BadSignature, webhook_accept, webhook_verify
from contracts.access import customer_required
from core.models import Tenant
from core.money import format_money
from core.roles import may


def _may_manage(request: HttpRequest) -> bool:
    return may(
        request.user,
        "payment_method.manage",
        tenant=request.tenant,
        customer_id=request.customer.pk,
    )


def _method(request: HttpRequest, method_id: int) -> PaymentMethod:
    return get_object_or_404(
        selectors.payment_method_list(tenant=request.tenant, customer=request.customer),
        pk=method_id,
    )


def _invoice(request: HttpRequest, invoice_id: int) -> Invoice:
    return get_object_or_404(
        document_selectors.invoice_list(
            tenant=request.tenant, customer=request.customer, with_lines=True
        ),
        pk=invoice_id,
    )


def expiring_soon(method: PaymentMethod, today: date) -> bool:
    """Expires this month or next (a card is valid to the end of its expiry month)."""
    months_left = (method.exp_year - today.year) * 12 + method.exp_month - today.month
    return months_left <= 1


@customer_required
def payment_methods(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    methods = list(selectors.payment_method_list(tenant=request.tenant, customer=request.customer))
    for method in methods:
        method.expiring_soon = expiring_soon(method, today)
        method.expired = (method.exp_year, method.exp_month) < (today.year, today.month)
    return render(
        request,
        "billing/payment_methods.html",
        {
            "section_key": "payment_methods",
            "methods": methods,
            "takes_cards": gateway_for(request.tenant).takes_cards,
            "may_manage": _may_manage(request),
            "tenant": request.tenant,
        },
    )


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@customer_required
def payment_method_add(request: HttpRequest) -> HttpResponse:
    """GET: the Stripe.js card form. POST (from its script, after Stripe confirmed the card):
    the setup's id, which the service checks with Stripe before keeping the card."""
    if not _may_manage(request):
        raise PermissionDenied
    next_url = _next_url(request, reverse("payment_methods"))
    if request.method == "POST":
        try:
            method = payment_method_save(
                customer=request.customer,
                setup_id=request.POST.get("setup_intent", "")[:255],
                actor=request.user,
            )
        except GatewayError as exc:
            messages.error(request, exc.message)
            return redirect(request.get_full_path())
        messages.success(request, _("Your card %(card)s is saved.") % {"card": method})
        return redirect(next_url)
    try:
        publishable_key, client_secret = card_setup_start(
            customer=request.customer, actor=request.user
        )
    except GatewayError as exc:
        messages.error(request, exc.message)
        return redirect("payment_methods")
    return render(
        request,
        "billing/payment_method_add.html",
        {
            "section_key": "payment_methods",
            "stripe_js": settings.STRIPE_JS_URL,
            "publishable_key": publishable_key,
            "client_secret": client_secret,
            "next": next_url,
        },
    )


@customer_required
@require_POST
def payment_method_default(request: HttpRequest, method_id: int) -> HttpResponse:
    method = _method(request, method_id)
    if not _may_manage(request):
        raise PermissionDenied
    payment_method_set_default(method=method, actor=request.user)
    messages.success(request, _("%(card)s is now your default card.") % {"card": method})
    return redirect("payment_methods")


@customer_required
def payment_method_delete(request: HttpRequest, method_id: int) -> HttpResponse:
    """Asks first; removing the last card while renewals are charged to it says what follows."""
    method = _method(request, method_id)
    if not _may_manage(request):
        raise PermissionDenied
    if request.method == "POST":
        try:
            payment_method_remove(method=method, actor=request.user)
        except GatewayError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(card)s is removed.") % {"card": method})
        return redirect("payment_methods")
    last = not request.customer.payment_methods.exclude(pk=method.pk).exists()
    return render(
        request,
        "billing/payment_method_remove.html",
        {
            "section_key": "payment_methods",
            "method": method,
            "renewals_at_risk": auto_charged_subscriptions(request.customer) if last else 0,
        },
    )


@customer_required
def invoice_pay_page(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(request, invoice_id)
    if not may(request.user, "invoice.pay", tenant=request.tenant, customer_id=invoice.customer_id):
        raise PermissionDenied
    if invoice.status not in PAYABLE or invoice.amount_due <= 0:
        messages.info(request, _("This invoice has nothing left to pay."))
        return redirect("invoice_detail", invoice_id=invoice.pk)
    methods = list(selectors.payment_method_list(tenant=request.tenant, customer=request.customer))
    form = InvoicePayForm(
        request.POST if request.method == "POST" else None,
        methods=methods,
        invoice=invoice,
        partial=partial_payments_allowed(request.tenant),
    )
    context = {
        "section_key": "invoices",
        "invoice": invoice,
        "form": form,
        "methods": methods,
        "takes_cards": gateway_for(request.tenant).takes_cards,
    }
    if request.method == "POST" and form.is_valid():
        try:
            attempt = invoice_pay(
                invoice=invoice,
                method=form.cleaned_data["method"],
                amount=form.cleaned_data.get("amount"),
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return pay_outcome(request, invoice, attempt, context)
    return render(request, "billing/invoice_pay.html", context)


def pay_outcome(request, invoice: Invoice, attempt: PaymentAttempt, context: dict) -> HttpResponse:
    """Say honestly how it went: paid, needs the customer's confirmation, or refused and why."""
    if attempt.status == AttemptStatus.SUCCEEDED:
        messages.success(
            request,
            _("Thank you: %(amount)s was paid with %(card)s.")
            % {
                "amount": format_money(attempt.amount, attempt.currency, get_language()),
                "card": attempt.payment_method,
            },
        )
        return redirect("invoice_detail", invoice_id=invoice.pk)
    if attempt.status == AttemptStatus.REQUIRES_ACTION and attempt.client_secret:
        return render(
            request,
            "billing/invoice_pay_confirm.html",
            {
                **context,
                "attempt": attempt,
                "stripe_js": settings.STRIPE_JS_URL,
                "publishable_key": gateway_for(invoice.tenant).publishable_key,
            },
        )
    if attempt.status == AttemptStatus.PROCESSING:
        if attempt.failure_message:  # no answer from the gateway: nothing known yet
            messages.error(request, attempt.failure_message)
        else:
            messages.info(request, _("Your payment is being processed; this page will show it."))
        return redirect("invoice_detail", invoice_id=invoice.pk)
    failure = _("The payment failed: %(reason)s") % {
        "reason": attempt.failure_message or _("the card was declined.")
    }
    if not context["form"].is_bound:  # back from the bank's confirmation: start again
        messages.error(request, failure)
        return redirect("invoice_pay", invoice_id=invoice.pk)
    context["form"].add_error(None, failure)
    return render(request, "billing/invoice_pay.html", context)


@customer_required
@require_POST
def invoice_pay_confirmed(request: HttpRequest, invoice_id: int, attempt_id: int) -> HttpResponse:
    """The browser finished (or abandoned) 3-D Secure: ask the gateway how the payment stands."""
    invoice = _invoice(request, invoice_id)
    attempt = get_object_or_404(invoice.payment_attempts, pk=attempt_id)
    if not may(request.user, "invoice.pay", tenant=request.tenant, customer_id=invoice.customer_id):
        raise PermissionDenied
    try:
        attempt = attempt_refresh(attempt=attempt, actor=request.user)
    except GatewayError as exc:
        messages.error(request, exc.message)
        return redirect("invoice_detail", invoice_id=invoice.pk)
    context = {"section_key": "invoices", "invoice": invoice, "form": forms.Form()}
    if attempt.status == AttemptStatus.REQUIRES_ACTION:
        attempt.status, attempt.failure_message = (
            AttemptStatus.FAILED,
            _("the card's confirmation was not completed."),
        )
    return pay_outcome(request, invoice, attempt, context)


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


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest, tenant: str) -> HttpResponse:
    """Stripe's events for one business: a bad signature is a 400 and nothing is kept; a good
    one is stored once and handed to a worker."""
    business = get_object_or_404(Tenant, slug=tenant, is_active=True)
    try:
        event = webhook_verify(
            tenant=business,
            payload=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
        )
    except BadSignature:
        return HttpResponseBadRequest("bad signature")
    webhook_accept(tenant=business, event=event)
    return HttpResponse("ok")
