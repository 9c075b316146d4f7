from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth import logout
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe

from contracts import selectors as contract_selectors
from contracts.access import SESSION_KEY, customer_required
from contracts.views import may_edit_contract
from core.licence import LicenceModule, licence_enabled
from core.page_cache import cached_page
from core.redirects import safe_next
from core.roles import ContactRole, may, require
from portal.forms import AccountCloseForm
from portal.navigation import SECTIONS_BY_KEY
from portal.selectors import dashboard_for
from subscriptions import services as subscription_services


@require_safe
@cache_control(public=True, max_age=3600)
def tenant_logo(request: HttpRequest) -> FileResponse:
    """The tenant's logo, read through the storage API: works the same on a local disk and on
    object storage, with no public media folder to configure."""
    logo = request.tenant.logo
    if not logo:
        raise Http404
    try:
        handle = logo.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, content_type=mimetypes.guess_type(logo.name)[0])


@customer_required
@cached_page
def dashboard(request: HttpRequest) -> HttpResponse:
    """Where the customer stands: what is due, what comes next, what runs, what waits."""
    tenant, customer = request.tenant, request.customer
    today = timezone.localdate()

    def allowed(action: str) -> bool:
        return may(request.user, action, tenant=tenant, customer_id=customer.pk)

    return render(
        request,
        "portal/dashboard.html",
        {
            "section_key": "dashboard",
            "board": dashboard_for(tenant=tenant, customer=customer, today=today),
            "today": today,
            "may_pay": allowed("invoice.pay"),
            "may_manage_methods": allowed("payment_method.manage"),
            "may_change": allowed("subscription.change"),
            "may_cancel": allowed("subscription.cancel"),
            "may_order": licence_enabled(tenant, LicenceModule.ORDERING)
            and allowed("subscription.order"),
            "may_approve": allowed("quote.approve"),
            "may_request_quote": licence_enabled(tenant, LicenceModule.QUOTES)
            and allowed("quote.request"),
            "support": licence_enabled(tenant, LicenceModule.VIP_SUPPORT),
        },
    )


@customer_required
def section_pending(request: HttpRequest, key: str) -> HttpResponse:
    """A portal section whose feature has not been released yet: a polite page, not an error."""
    return render(
        request,
        "portal/section_pending.html",
        {"section": SECTIONS_BY_KEY[key], "section_key": key},
    )


@require_POST
@customer_required
def customer_switch(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Act for another customer this person is a contact of. Anyone else's id is a 404."""
    if not any(c.customer_id == customer_id for c in request.contacts):
        raise Http404
    request.session[SESSION_KEY] = customer_id
    return HttpResponseRedirect(safe_next(request, "/"))


@customer_required
@cached_page
def contract(request: HttpRequest) -> HttpResponse:
    """The contract page gathers from contracts (its data, contacts, legal) and subscriptions
    (how long the contract has run)."""
    customer = request.customer
    contacts = list(
        contract_selectors.contact_list_for_customer(tenant=request.tenant, customer=customer)
    )
    return render(
        request,
        "contracts/contract.html",
        {
            "section_key": "contract",
            "contacts": contacts,
            "owners": [c for c in contacts if c.role == ContactRole.OWNER],
            "partner": next((c for c in contacts if c.pk == customer.contract_partner_id), None),
            "acceptances": contract_selectors.legal_acceptance_list(
                tenant=request.tenant, customer=customer
            ),
            "contract_start": subscription_services.customer_contract_start(customer),
            "may_edit": may_edit_contract(request),
            "may_close": may(
                request.user, "account.delete", tenant=request.tenant, customer_id=customer.pk
            ),
            "may_manage_contacts": may(
                request.user,
                "account.contacts.manage",
                tenant=request.tenant,
                customer_id=customer.pk,
            ),
        },
    )


@customer_required
def account_close(request: HttpRequest) -> HttpResponse:
    """Close the customer account, when nothing runs any more; otherwise say what still does."""
    customer = request.customer
    require(request.user, "account.delete", tenant=request.tenant, customer_id=customer.pk)
    today = timezone.localdate()
    blockers = subscription_services.account_close_blockers(customer, today)
    form = AccountCloseForm(request.POST if request.method == "POST" else None, customer=customer)
    if request.method == "POST" and not blockers and form.is_valid():
        subscription_services.account_close(
            customer=customer, actor=request.user, today=today, as_contact=True
        )
        logout(request)
        messages.success(
            request, _("The account of %(customer)s is closed.") % {"customer": customer.name}
        )
        return redirect("account_login")
    return render(
        request,
        "portal/account_close.html",
        {"section_key": "contract", "blockers": blockers, "form": form},
    )
