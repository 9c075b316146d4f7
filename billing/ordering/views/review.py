"""The portal's "Order a module": the catalogue, and the checkout's review, where the order is
placed."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.ordering import selectors
from billing.ordering.forms import CheckoutForm
from billing.ordering.links import payment_link_check, payment_link_tariffs
from billing.ordering.models import Checkout, CheckoutStatus, PaymentLink
from billing.ordering.services import Choice, checkout_place, checkout_review, choice_digest
from billing.payments.gateways import gateway_for
from contracts.access import customer_required
from contracts.selectors import legal_documents_pending
from core.licence import LicenceModule, licence_required
from core.roles import may
from subscriptions.module_data import module_fields
from subscriptions.module_data_forms import module_data_form
from subscriptions.periods import local_today


def _today(request: HttpRequest):
    return local_today(timezone.now(), request.tenant.timezone)


def contact_may_order(request: HttpRequest) -> bool:
    return may(
        request.user, "subscription.order", tenant=request.tenant, customer_id=request.customer.pk
    )


@licence_required(LicenceModule.ORDERING)
@customer_required
def catalogue_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "ordering/catalogue.html",
        {
            "section_key": "order",
            "modules": selectors.catalogue(customer=request.customer),
            "open_checkouts": list(selectors.open_checkouts(customer=request.customer)),
            "may_order": contact_may_order(request),
        },
    )


# The review accepts the business's pending terms itself: not sent to the terms page first.
@licence_required(LicenceModule.ORDERING)
@customer_required(legal_exempt=True)
def checkout_review_page(request: HttpRequest, tariff_id: int) -> HttpResponse:
    tariff = get_object_or_404(selectors.tariffs_on_sale(tenant=request.tenant), pk=tariff_id)
    customer, today = request.customer, _today(request)
    link = _link(request, tariff)
    if link is not None:
        try:
            payment_link_check(link=link, today=today)
        except ValidationError as exc:
            return render(
                request, "ordering/link_closed.html", {"link": link, "reason": exc.code}, status=410
            )
    may_order = contact_may_order(request)
    pending_terms = legal_documents_pending(tenant=request.tenant, customer=customer)
    data = request.POST if request.method == "POST" else None
    form = CheckoutForm(
        data, tariff=tariff, terms_ids=[d.pk for d in pending_terms], today=today, link=link
    )
    module_form = module_data_form(
        fields=module_fields(module=tariff.module),
        actor=request.user,
        tenant=request.tenant,
        customer_id=customer.pk,
        data=data,
    )
    choice = form.choice() if data is None or form.is_valid() else Choice(tariff=tariff)
    gateway = gateway_for(request.tenant)
    context = {
        "section_key": "order",
        "tariff": tariff,
        "link": link,
        "form": form,
        "module_form": module_form,
        "pending_terms": pending_terms,
        # Staff acting for the customer never accept its terms: said before they try.
        "acting_terms_refused": (
            _(
                "The customer has not accepted the business's current terms yet, and staff "
                "never accept them on a customer's behalf: the customer places this order "
                "themselves, accepting them on the way."
            )
            if pending_terms and getattr(request, "acting_as", None) is not None
            else None
        ),
        "may_order": may_order,
        "takes_cards": gateway.takes_cards,
        "pays_at_bank": gateway.pays_at_bank,
        "open_checkout": selectors.open_checkouts(customer=customer).filter(tariff=tariff).first(),
    }
    try:
        context["review"] = checkout_review(customer=customer, choice=choice, today=today)
    except ValidationError as exc:
        form.add_error(None, exc)
    context["digest"] = choice_digest(choice)
    if data is not None and request.POST.get("action") == "place":
        if not may_order:
            raise PermissionDenied
        module_ok = module_form.is_valid()
        reviewed = request.POST.get("reviewed") == context["digest"]
        if form.is_valid() and not reviewed:
            # Changed since the summary was shown: the customer sees the new figures first.
            form.add_error(None, _("Your choice changed: check the summary, then order again."))
        elif form.is_valid() and module_ok and "review" in context:
            try:
                checkout = checkout_place(
                    customer=customer,
                    actor=request.user,
                    key=form.cleaned_data["key"],
                    choice=choice,
                    module_data=module_form.values(),
                    terms_shown=form.cleaned_data["terms"],
                    accepted=form.cleaned_data["accept_terms"],
                    today=today,
                    link=link,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and module_form.definitions:
                    module_form.add_service_error(exc)
                else:
                    form.add_error(None, exc)
            else:
                return _after_place(request, checkout)
    return render(request, "ordering/checkout_review.html", context)


def _link(request: HttpRequest, tariff) -> PaymentLink | None:
    """The payment link the buyer came through (`?link=`): 404 for an unknown one, or one
    that does not sell this tariff."""
    slug = request.GET.get("link", "")
    if not slug:
        return None
    link = get_object_or_404(selectors.payment_link_list(tenant=request.tenant), slug=slug[:40])
    if not payment_link_tariffs(link).filter(pk=tariff.pk).exists():
        raise Http404
    return link


def _after_place(request: HttpRequest, checkout: Checkout) -> HttpResponse:
    invoice = checkout.invoice
    if (
        checkout.status == CheckoutStatus.COMPLETED
        and invoice.amount_due > 0
        and gateway_for(request.tenant).pays_at_bank
    ):
        # Started at once, as with a bank transfer; the first invoice is paid on the bank's
        # page right away (or later, from its e-mail).
        messages.success(
            request,
            _("Thank you for your order: %(tariff)s has started. Pay invoice %(number)s now.")
            % {"tariff": checkout.tariff, "number": invoice.number},
        )
        return redirect("invoice_pay", invoice_id=invoice.pk)
    if checkout.status == CheckoutStatus.COMPLETED:
        messages.success(
            request,
            _("Thank you for your order: %(tariff)s has started. Invoice %(number)s is on its way.")
            % {"tariff": checkout.tariff, "number": checkout.invoice.number},
        )
        return redirect("subscription_detail", subscription_id=checkout.subscription_id)
    return redirect("checkout_detail", key=checkout.key)
