"""Portal pages of quote requests: ask for a quote from the catalogue, and follow one's requests."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contracts.access import customer_required
from core.licence import LicenceModule, licence_required
from core.roles import may
from quotes import request_selectors
from quotes.amounts import tariff_price
from quotes.request_forms import QuoteRequestForm
from quotes.requests import quote_request_create
from subscriptions.selectors import interval_label

SECTION = "quotes"


def _may_request(request: HttpRequest) -> bool:
    return may(
        request.user, "quote.request", tenant=request.tenant, customer_id=request.customer.pk
    )


def _minimum_term(months: int) -> str:
    if not months:
        return _("No minimum term")
    return ngettext("Minimum term %(n)s month", "Minimum term %(n)s months", months) % {"n": months}


@licence_required(LicenceModule.QUOTES)
@customer_required
def quote_request_new(request: HttpRequest) -> HttpResponse:
    if not _may_request(request):
        raise PermissionDenied
    tariffs = list(request_selectors.requestable_tariffs(tenant=request.tenant))
    form = QuoteRequestForm(request.POST if request.method == "POST" else None, tariffs=tariffs)
    if request.method == "POST" and form.is_valid():
        try:
            quote_request = quote_request_create(
                customer=request.customer,
                actor=request.user,
                items=form.cleaned_data["items"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Thank you: your quote request is with %(tenant)s. We will e-mail you the quote.")
                % {"tenant": request.tenant.name},
            )
            return redirect("quote_request_detail", request_id=quote_request.pk)
    rows = {row["tariff"].pk: row for row in form.rows()}
    modules = [
        (
            module,
            [
                {
                    **rows[t.pk],
                    "price": tariff_price(t),
                    "interval": interval_label(t.interval_months),
                    "minimum_term": _minimum_term(t.minimum_term_months),
                }
                for t in module_tariffs
            ],
        )
        for module, module_tariffs in request_selectors.catalogue_modules(tariffs)
    ]
    return render(
        request,
        "quotes/request_new.html",
        {"section_key": SECTION, "form": form, "modules": modules},
    )


@licence_required(LicenceModule.QUOTES)
@customer_required
def quote_request_list(request: HttpRequest) -> HttpResponse:
    requests = list(
        request_selectors.quote_request_list(tenant=request.tenant, customer=request.customer)
    )
    return render(
        request,
        "quotes/request_list.html",
        {"section_key": SECTION, "requests": requests, "may_request": _may_request(request)},
    )


@licence_required(LicenceModule.QUOTES)
@customer_required
def quote_request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    quote_request = get_object_or_404(
        request_selectors.quote_request_list(tenant=request.tenant, customer=request.customer),
        pk=request_id,
    )
    return render(
        request,
        "quotes/request_detail.html",
        {"section_key": SECTION, "quote_request": quote_request},
    )
