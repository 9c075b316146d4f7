"""Paying an invoice at the business's bank (NestPay 3D Pay), from the portal or from an
e-mailed invoice link: the customer picks the installments, Kontor signs the order, the browser
takes it to the bank's 3-D page, and the bank posts its answer back to the ok or the fail URL.

The back-post comes from the customer's browser, sent on by the bank's page: no CSRF token, no
login (the session cookie stays behind on a cross-site post). The bank's hash is its authority:
checked first, a bad one gets 400. These views never touch the session, which the post does not
carry, so the customer stays logged in on the page it returns to.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.documents.models import PAYABLE, Invoice
from billing.payments import selectors
from billing.payments.gateways import NestPayGateway
from billing.payments.models import AttemptStatus
from billing.payments.nestpay_payments import (
    ANSWER_AWAITED,
    BadBackPost,
    installment_choices,
    nestpay_answer,
    nestpay_order_open,
)
from billing.payments.services import partial_payments_allowed
from core.models import User
from core.money import format_money, round_money
from core.roles import SystemActor

SINGLE = "1"  # the installment choice for one payment


class BankPayForm(forms.Form):
    """How many installments (where offered), and how much where part payments are allowed."""

    amount = forms.DecimalField(
        label=gettext_lazy("Amount"),
        max_digits=19,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
    )
    installments = forms.ChoiceField(
        label=gettext_lazy("Installments"),
        widget=forms.RadioSelect,
        initial=SINGLE,
        required=False,  # none chosen: one payment
    )

    def __init__(self, *args, invoice: Invoice, partial: bool, offered: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        language = get_language()
        due = invoice.amount_due
        self.fields["installments"].choices = [
            (SINGLE, _("One payment of %(amount)s") % {"amount": _money(due, invoice, language)}),
            *(
                (
                    str(count),
                    ngettext(
                        "%(count)d installment of about %(amount)s",
                        "%(count)d installments of about %(amount)s",
                        count,
                    )
                    % {"count": count, "amount": _money(due / count, invoice, language)},
                )
                for count in offered
            ),
        ]
        if not offered:
            del self.fields["installments"]
        if partial:
            self.fields["amount"].initial = due
            self.fields["amount"].help_text = _("You may pay part of what is due.")
        else:
            del self.fields["amount"]

    def clean_amount(self):
        amount = self.cleaned_data.get("amount")
        if amount is not None and amount > self.invoice.amount_due:
            raise forms.ValidationError(_("That is more than is due."), code="too_much")
        return amount

    def clean_installments(self) -> int | None:
        value = self.cleaned_data.get("installments") or SINGLE
        return None if value == SINGLE else int(value)


def _money(amount: Decimal, invoice: Invoice, language: str) -> str:
    return format_money(round_money(amount, invoice.currency), invoice.currency, language)


def bank_pay(
    request: HttpRequest,
    *,
    gateway: NestPayGateway,
    invoice: Invoice,
    actor: User | SystemActor,
    return_path: str,
    context: dict,
) -> HttpResponse:
    """The pay page (installments, amount) and, once sent, the signed form for the bank."""
    config = gateway.config
    offered = installment_choices(config, amount=invoice.amount_due, currency=invoice.currency)
    form = BankPayForm(
        request.POST if request.method == "POST" else None,
        invoice=invoice,
        partial=partial_payments_allowed(invoice.tenant),
        offered=offered,
    )
    context = {
        **context,
        "invoice": invoice,
        "form": form,
        "card_on_page": False,
        "card_typed_here": gateway.card_fields_on_page,  # 3D Pay: on the next page
        "waiting": selectors.nestpay_order_waiting(
            invoice=invoice, since=timezone.now() - ANSWER_AWAITED
        ),
    }
    if request.method == "POST" and form.is_valid():
        try:
            order = nestpay_order_open(
                invoice=invoice,
                amount=form.cleaned_data.get("amount"),
                installments=form.cleaned_data.get("installments"),
                return_path=return_path,
                actor=actor,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            gate_url, fields = gateway.gate_form(
                order,
                ok_url=request.build_absolute_uri(reverse("nestpay_ok")),
                fail_url=request.build_absolute_uri(reverse("nestpay_fail")),
                lang=(get_language() or "en")[:2],
            )
            response = render(
                request,
                "billing/invoice_pay_bank_gate.html",
                {
                    **context,
                    "attempt": order.attempt,
                    "order": order,
                    "gate_url": gate_url,
                    "fields": fields.items(),
                    "card_on_page": gateway.card_fields_on_page,
                    "months": [f"{month:02d}" for month in range(1, 13)],
                    "years": _expiry_years(),
                },
            )
            # The policy lets forms post to our own origin only: this one goes to the bank.
            gate = urlsplit(gate_url)
            response._csp_update = {"form-action": [f"{gate.scheme}://{gate.netloc}"]}
            return response
    return render(request, "billing/invoice_pay_bank.html", context)


def _expiry_years() -> list[tuple[str, int]]:
    """(the two digits the gate takes, the year shown), for the card's expiry."""
    year = timezone.localdate().year
    return [(f"{y % 100:02d}", y) for y in range(year, year + 16)]


@csrf_exempt  # posted by the bank's page; its hash is the authority, checked first
@require_POST
def nestpay_ok(request: HttpRequest) -> HttpResponse:
    return _back_post(request, "ok_url")


@csrf_exempt  # as above
@require_POST
def nestpay_fail(request: HttpRequest) -> HttpResponse:
    return _back_post(request, "fail_url")


def _back_post(request: HttpRequest, via: str) -> HttpResponse:
    if request.tenant is None:
        return render(request, "billing/nestpay_bad_answer.html", status=400)
    fields = {name: value for name, value in request.POST.items()}
    try:
        order = nestpay_answer(tenant=request.tenant, fields=fields, via=via)
    except BadBackPost:
        return render(request, "billing/nestpay_bad_answer.html", status=400)
    attempt = order.attempt
    # Short texts: they fit the messages cookie, so the session (not sent here) is never used.
    if attempt.status == AttemptStatus.SUCCEEDED:
        messages.success(
            request,
            _("Thank you: %(amount)s was paid with %(card)s.")
            % {
                "amount": format_money(attempt.amount, attempt.currency, get_language()),
                "card": order.masked_pan or _("your card"),
            },
        )
    else:
        messages.error(
            request,
            _("The payment failed: %(reason)s")
            % {"reason": attempt.failure_message or _("the card was declined.")},
        )
        if attempt.invoice.status in PAYABLE and attempt.invoice.amount_due > 0:
            # Back to the pay page (the invoice's own, or its link's), to try again.
            return redirect(order.return_path + "pay/")
    return redirect(order.return_path)
