"""Paying an open checkout's first invoice, and saying how it went (back from 3-D Secure too)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.ordering import selectors
from billing.ordering.models import Checkout, CheckoutStatus
from billing.ordering.services import checkout_pay, checkout_settle
from billing.ordering.views.review import contact_may_order
from billing.payments import selectors as payment_selectors
from billing.payments.forms import InvoicePayForm
from billing.payments.gateways import GatewayError, gateway_for
from billing.payments.models import AttemptStatus, PaymentAttempt
from billing.payments.services import attempt_refresh
from contracts.access import customer_required
from core.licence import LicenceModule, licence_required
from core.money import format_money


def _checkout(request: HttpRequest, key) -> Checkout:
    return get_object_or_404(selectors.checkout_list(customer=request.customer), key=key)


@licence_required(LicenceModule.ORDERING)
@customer_required(legal_exempt=True)
def checkout_detail(request: HttpRequest, key) -> HttpResponse:
    """Pay the first invoice of an open checkout (again, after a decline)."""
    checkout = checkout_settle(checkout=_checkout(request, key), actor=request.user)
    if checkout.status == CheckoutStatus.COMPLETED:
        return redirect("subscription_detail", subscription_id=checkout.subscription_id)
    invoice = checkout.invoice
    methods = list(
        payment_selectors.payment_method_list(tenant=request.tenant, customer=request.customer)
    )
    form = InvoicePayForm(
        request.POST if request.method == "POST" else None,
        methods=methods,
        invoice=invoice,
        partial=False,
    )
    context = {
        "section_key": "order",
        "checkout": checkout,
        "invoice": invoice,
        "form": form,
        "methods": methods,
        "may_order": contact_may_order(request),
    }
    if request.method == "POST" and checkout.status == CheckoutStatus.OPEN:
        if not context["may_order"]:
            raise PermissionDenied
        if form.is_valid():
            try:
                attempt = checkout_pay(
                    checkout=checkout, method=form.cleaned_data["method"], actor=request.user
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return _pay_outcome(request, checkout, attempt, context)
    return render(request, "ordering/checkout_pay.html", context)


def _pay_outcome(
    request: HttpRequest, checkout: Checkout, attempt: PaymentAttempt, context: dict
) -> HttpResponse:
    if attempt.status == AttemptStatus.SUCCEEDED:
        checkout = checkout_settle(checkout=checkout, actor=request.user)
        if checkout.status != CheckoutStatus.COMPLETED:
            # Paid after the order had lapsed (its invoice voided): the money is the
            # customer's credit, and nothing started. Said as it is.
            messages.warning(
                request,
                _(
                    "Your payment went through after this order had lapsed: the amount is "
                    "credited to your account and nothing was started."
                ),
            )
            return redirect("checkout_detail", key=checkout.key)
        messages.success(
            request,
            _("Thank you: %(amount)s was paid with %(card)s, and %(tariff)s has started.")
            % {
                "amount": format_money(attempt.amount, attempt.currency, get_language()),
                "card": attempt.payment_method,
                "tariff": checkout.tariff,
            },
        )
        return redirect("subscription_detail", subscription_id=checkout.subscription_id)
    if attempt.status == AttemptStatus.REQUIRES_ACTION and attempt.client_secret:
        return render(
            request,
            "billing/invoice_pay_confirm.html",
            {
                **context,
                "attempt": attempt,
                "confirm_url": reverse("checkout_confirmed", args=[checkout.key])
                + f"?attempt={attempt.pk}",
                "stripe_js": settings.STRIPE_JS_URL,
                "publishable_key": gateway_for(request.tenant).publishable_key,
            },
        )
    if attempt.status == AttemptStatus.PROCESSING:
        messages.info(
            request,
            attempt.failure_message
            or _("Your payment is being processed; your subscription starts once it is through."),
        )
        return redirect("checkout_detail", key=checkout.key)
    failure = _("The payment failed: %(reason)s") % {
        "reason": attempt.failure_message or _("the card was declined.")
    }
    if not context["form"].is_bound:  # back from the bank's confirmation
        messages.error(request, failure)
        return redirect("checkout_detail", key=checkout.key)
    context["form"].add_error(None, failure)
    return render(request, "ordering/checkout_pay.html", context)


@licence_required(LicenceModule.ORDERING)
@customer_required(legal_exempt=True)
@require_POST
def checkout_confirmed(request: HttpRequest, key) -> HttpResponse:
    """Back from 3-D Secure: ask the gateway how the payment stands."""
    checkout = _checkout(request, key)
    try:
        attempt_id = int(request.GET.get("attempt", ""))
    except ValueError:
        raise Http404 from None
    attempt = get_object_or_404(PaymentAttempt, pk=attempt_id, invoice_id=checkout.invoice_id)
    if not contact_may_order(request):
        raise PermissionDenied
    try:
        attempt = attempt_refresh(attempt=attempt, actor=request.user)
    except GatewayError as exc:
        messages.error(request, exc.message)
        return redirect("checkout_detail", key=checkout.key)
    if attempt.status == AttemptStatus.REQUIRES_ACTION:
        attempt.status, attempt.failure_message = (
            AttemptStatus.FAILED,
            _("the card's confirmation was not completed."),
        )
    return _pay_outcome(request, checkout, attempt, {"form": forms.Form()})
