"""The public page of a payment link: what it sells, a sign-up for strangers (the link is their
invitation, open self-registration or not), a way on for the business's contacts, and the step
into the checkout."""

from __future__ import annotations

import hashlib
import mimetypes
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from billing.ordering import selectors
from billing.ordering.link_forms import LinkSignUpForm, TariffChoiceForm
from billing.ordering.links import (
    AccountExists,
    link_sign_up,
    payment_link_check,
    payment_link_options,
    payment_link_tariffs,
)
from billing.ordering.models import PaymentLink
from contracts.access import SESSION_KEY, current_contact
from contracts.portal_links import is_staff_somewhere_here, login_url
from core.licence import LicenceModule, licence_required
from core.middleware import client_ip
from core.money import round_money
from core.roles import may
from subscriptions.models import Tariff
from subscriptions.periods import local_today
from subscriptions.selectors import interval_label

# Sign-ups from one address an hour: enough for an office behind one router, too few to fill a
# business's customer list with made-up companies.
SIGN_UPS_PER_IP_PER_HOUR = 10

# Where the customer's contract fields are asked on the sign-up form (for errors the service
# finds, e.g. a VAT number the model refuses).
FORM_FIELD_OF = {
    "billing_company": "company",
    "name": "company",
    "billing_street": "street",
    "billing_street_2": "street_2",
    "billing_postal_code": "postal_code",
    "billing_city": "city",
    "billing_country": "country",
    "vat_id": "vat_id",
    "email": "email",
}


def _tenant(request: HttpRequest):
    if getattr(request, "tenant", None) is None:
        raise Http404
    return request.tenant


def _link(request: HttpRequest, slug: str) -> PaymentLink:
    return get_object_or_404(selectors.payment_link_list(tenant=_tenant(request)), slug=slug[:40])


def checkout_url(link: PaymentLink, tariff: Tariff) -> str:
    """The checkout's review page for this tariff, bought through this link."""
    return f"{reverse('checkout_review', args=[tariff.pk])}?{urlencode({'link': link.slug})}"


def _to_checkout(link: PaymentLink, tariff: Tariff) -> HttpResponse:
    return redirect(checkout_url(link, tariff))


def _sign_up_allowed(request: HttpRequest) -> bool:
    """One more sign-up attempt from this address this hour? (Counted before the attempt, so
    refused ones — an existing address — count too.)"""
    address = client_ip(request) or "unknown"
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    key = f"kontor:payment-link-sign-ups:{timezone.now():%Y%m%d%H}:{digest}"
    cache.add(key, 0, timeout=3600)
    try:
        attempts = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        attempts = 1
    return attempts <= SIGN_UPS_PER_IP_PER_HOUR


def _offers(link: PaymentLink, tariffs) -> list[dict]:
    """Each tariff as the page shows it: net price per interval, terms, included options."""
    offers = []
    for tariff in tariffs:
        net = sum(
            (round_money(p.unit_price, tariff.currency) for p in tariff.prices.all()), Decimal(0)
        )
        options = [
            {
                "option": option,
                # Options are priced per month; a tariff bills its whole interval at once.
                "amount": round_money(option.unit_price * tariff.interval_months, option.currency),
            }
            for option in payment_link_options(link, tariff)
        ]
        offers.append(
            {
                "tariff": tariff,
                "amount": net,
                "interval": interval_label(tariff.interval_months),
                "options": options,
            }
        )
    return offers


def _buyer(request: HttpRequest):
    """(kind, contact): "anonymous", "contact" (of one of this business's customers, who may
    see its portal) or "outsider" (staff, or a login with no customer here)."""
    user = request.user
    if not user.is_authenticated:
        return "anonymous", None
    tenant = request.tenant
    if is_staff_somewhere_here(user, tenant):
        return "outsider", None
    contact = current_contact(request)
    if contact is None or not may(
        user, "portal.view", tenant=tenant, customer_id=contact.customer_id
    ):
        return "outsider", None
    return "contact", contact


def _sign_up(request: HttpRequest, link: PaymentLink, form: LinkSignUpForm, today):
    """The sign-up POST: a response when done, None when the form is to be shown again."""
    if not _sign_up_allowed(request):
        form.add_error(None, _("Too many sign-ups from your network. Please try again later."))
        return None
    try:
        contact = link_sign_up(tenant=request.tenant, link=link, data=form.sign_up(), today=today)
    except AccountExists as exc:
        form.add_error("email", exc)
        form.login_url = login_url(email=exc.email, next_path=request.path)
        return None
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(FORM_FIELD_OF.get(field), errors)
        else:
            form.add_error(None, exc)
        return None
    # Django's login with the tenant-aware allauth backend: the person is a contact here now,
    # with no second factor yet, so nothing stands between them and the checkout.
    login(request, contact.user, backend=settings.AUTHENTICATION_BACKENDS[0])
    request.session[SESSION_KEY] = contact.customer_id
    return _to_checkout(link, form.chosen_tariff())


@licence_required(LicenceModule.ORDERING)
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def payment_link(request: HttpRequest, slug: str) -> HttpResponse:
    link = _link(request, slug)
    today = local_today(timezone.now(), link.tenant.timezone)
    try:
        payment_link_check(link=link, today=today)
    except ValidationError as exc:
        return render(
            request, "ordering/link_closed.html", {"link": link, "reason": exc.code}, status=410
        )
    tariffs = payment_link_tariffs(link)
    kind, contact = _buyer(request)
    data = request.POST if request.method == "POST" else None
    form = None
    status = 200
    if kind == "anonymous":
        form = LinkSignUpForm(data, tariffs=tariffs)
        form.login_url = ""
        if data is not None:
            if form.is_valid():
                done = _sign_up(request, link, form, today)
                if done is not None:
                    return done
            status = 400
    elif kind == "contact":
        form = TariffChoiceForm(data, tariffs=tariffs)
        if data is not None:
            if form.is_valid():
                return _to_checkout(link, form.chosen_tariff())
            status = 400
    elif data is not None:
        status = 403
    return render(
        request,
        "ordering/link_page.html",
        {
            "link": link,
            "offers": _offers(link, form.tariffs if form is not None else tariffs),
            "buyer": kind,
            "contact": contact,
            "form": form,
            "login_url": login_url(next_path=request.path),
            "may_enter_backoffice": kind == "outsider"
            and may(request.user, "backoffice.enter", tenant=request.tenant),
        },
        status=status,
    )


@licence_required(LicenceModule.ORDERING)
@require_safe
def payment_link_image(request: HttpRequest, slug: str) -> FileResponse:
    """The module's picture on the link's page, for visitors who are not logged in yet."""
    link = _link(request, slug)
    image = link.module.image
    if not link.is_active or not image:
        raise Http404
    try:
        handle = image.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=mimetypes.guess_type(image.name)[0])
    response["Cache-Control"] = "public, max-age=3600"
    return response
