"""Paying an invoice in the portal with a saved card, and saying honestly how it went (the
package purchase ends the same way)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.documents import selectors as document_selectors
from billing.documents.models import PAYABLE, Invoice
from billing.payments import selectors
from billing.payments.forms import InvoicePayForm
from billing.payments.gateways import GatewayError, gateway_for
from billing.payments.models import AttemptStatus, PaymentAttempt
from billing.payments.services import attempt_refresh, invoice_pay, partial_payments_allowed
from billing.payments.views.bank import bank_pay
from contracts.access import customer_required
from core.money import format_money
from core.roles import require


def _invoice(request: HttpRequest, invoice_id: int) -> Invoice:
    return get_object_or_404(
        document_selectors.invoice_list(
            tenant=request.tenant, customer=request.customer, with_lines=True
        ),
        pk=invoice_id,
    )


@customer_required
def invoice_pay_page(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(request, invoice_id)
    require(request.user, "invoice.pay", tenant=request.tenant, customer_id=invoice.customer_id)
    if invoice.status not in PAYABLE or invoice.amount_due <= 0:
        messages.info(request, _("This invoice has nothing left to pay."))
        return redirect("invoice_detail", invoice_id=invoice.pk)
    gateway = gateway_for(request.tenant)
    if gateway.pays_at_bank:
        back = reverse("invoice_detail", args=[invoice.pk])
        return bank_pay(
            request,
            gateway=gateway,
            invoice=invoice,
            actor=request.user,
            return_path=back,
            context={"section_key": "invoices", "back_url": back},
        )
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
        "takes_cards": gateway.takes_cards,
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
    require(request.user, "invoice.pay", tenant=request.tenant, customer_id=invoice.customer_id)
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
