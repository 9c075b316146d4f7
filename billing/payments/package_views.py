"""Buying a package in the portal, paid at once: the purchase and its invoice are one step,
then the chosen saved card is charged (or, for a business paid by bank transfer, the invoice
goes out to be paid). It lives in billing because it spans both apps."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from billing.documents import views as documents_views
from billing.payments import selectors
from billing.payments.auto_topup import auto_topup_offered
from billing.payments.checkout import package_purchase_invoiced
from billing.payments.gateways import gateway_for
from billing.payments.services import invoice_pay
from billing.payments.views.pay import pay_outcome
from contracts.access import customer_required
from core.licence import LicenceModule, licence_required
from core.page_cache import cached_page
from core.roles import may
from subscriptions import alerts, credits
from subscriptions import selectors as subscription_selectors
from subscriptions.forms import AutoTopupForm, PackageBuyForm


class PackagePayForm(PackageBuyForm):
    """The purchase, and which saved card pays for it."""

    method = forms.TypedChoiceField(
        label=gettext_lazy("Pay with"), coerce=int, widget=forms.RadioSelect
    )

    def __init__(self, *args, methods: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.methods = {m.pk: m for m in methods}
        if methods:
            self.fields["method"].choices = [(m.pk, str(m)) for m in methods]
            self.fields["method"].initial = next((m.pk for m in methods if m.is_default), None)
        else:
            del self.fields["method"]

    def clean_method(self):
        return self.methods[self.cleaned_data["method"]]


@customer_required
@cached_page
def credit_overview(request: HttpRequest) -> HttpResponse:
    """The Credits page (billing.documents), with the automatic top-up
    where the business offers it: whether it takes cards is for payments, a floor up, to say."""
    response = documents_views.credit_overview(request)
    if isinstance(response, TemplateResponse) and response.context_data is not None:
        response.context_data["auto_topup_offered"] = auto_topup_offered(request.tenant)
    return response


@require_POST
@licence_required(LicenceModule.VIP_SUPPORT)
@customer_required
def auto_topup_change(request: HttpRequest) -> HttpResponse:
    """Credits page: choose the credit package bought automatically, or turn it off."""
    if not auto_topup_offered(request.tenant):
        raise Http404
    customer = request.customer
    if not may(request.user, "package.buy", tenant=request.tenant, customer_id=customer.pk):
        raise PermissionDenied
    form = AutoTopupForm(request.POST, packages=alerts.auto_topup_packages(request.tenant))
    if not form.is_valid():
        raise Http404  # the page offers only this business's packages: anything else is forged
    package = form.cleaned_data["package"]
    try:
        alerts.auto_topup_set(customer=customer, package=package, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(package)s is bought automatically when your balance runs low.")
            % {"package": package.localized_name}
            if package
            else _("Automatic top-up is off."),
        )
    return redirect("credits")


@licence_required(LicenceModule.VIP_SUPPORT)
@customer_required
def package_buy(request: HttpRequest, package_id: int) -> HttpResponse:
    package = get_object_or_404(
        subscription_selectors.package_list(tenant=request.tenant), pk=package_id
    )
    customer = request.customer
    today = timezone.localdate()
    may_buy = may(request.user, "package.buy", tenant=request.tenant, customer_id=customer.pk)
    try:
        obstacle = credits.purchase_check(customer, package, today)
        refusal = None
    except ValidationError as exc:
        obstacle, refusal = None, " ".join(exc.messages)
    gateway = gateway_for(request.tenant)
    takes_cards = gateway.takes_cards
    methods = (
        list(selectors.payment_method_list(tenant=request.tenant, customer=customer))
        if takes_cards
        else []
    )
    form = PackagePayForm(request.POST if request.method == "POST" else None, methods=methods)
    context = {
        "section_key": "credits",
        "package": package,
        "form": form,
        "may_buy": may_buy,
        "forfeit": obstacle == "forfeit",
        "refusal": refusal,
        "account": subscription_selectors.credit_account_view(customer=customer),
        "takes_cards": takes_cards,
        "pays_at_bank": gateway.pays_at_bank,
        "methods": methods,
    }
    if request.method == "POST":
        if not may_buy:
            raise PermissionDenied
        if refusal is None and form.is_valid():
            try:
                invoice = package_purchase_invoiced(
                    customer=customer,
                    package=package,
                    actor=request.user,
                    today=today,
                    confirm_forfeit=form.cleaned_data["confirm_forfeit"],
                )
            except credits.ForfeitNeedsConfirmation as exc:
                form.add_error("confirm_forfeit", exc)
            except ValidationError as exc:
                context["refusal"] = " ".join(exc.messages)
            else:
                messages.success(
                    request,
                    _("Thank you: %(package)s is ready to use.")
                    % {"package": package.localized_name},
                )
                method = form.cleaned_data.get("method")
                if method is None and gateway.pays_at_bank:  # paid on the bank's page next
                    return redirect("invoice_pay", invoice_id=invoice.pk)
                if method is None:  # bank transfer: the invoice is e-mailed with the details
                    return redirect("invoice_detail", invoice_id=invoice.pk)
                attempt = invoice_pay(invoice=invoice, method=method, actor=request.user)
                pay_form = forms.Form()  # unbound: a failure sends the customer to pay again
                return pay_outcome(
                    request, invoice, attempt, {**context, "invoice": invoice, "form": pay_form}
                )
    return render(request, "subscriptions/package_buy.html", context)
