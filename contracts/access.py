"""Who may see a customer's portal pages: the gate every portal view of every app goes through.

A logged-in person acts for one customer at a time (they may be contact of several); pending
legal documents are accepted before anything else is shown."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from contracts.acting import acting_portal_view
from contracts.models import Contact
from contracts.selectors import contact_list_for_user, legal_documents_pending
from core.page_cache import accounts_of, cached_response, may_cache
from core.page_versions import customer_scope, versions
from core.roles import contact_roles_known, may

SESSION_KEY = "kontor_customer_id"
T = TypeVar("T")


def current_contact(request: HttpRequest, *, remember: bool = False) -> Contact | None:
    """The contact the person acts as (the customer chosen in the session, else the first).
    `remember`: keep their accounts in the cache, for `_page_from_cache` to find."""
    if remember and may_cache(request):
        # Read before the contacts: a write between the two leaves an older stamp, which
        # the next request finds out of date, never newer data under an old stamp.
        stamp = versions(request.tenant.pk)
    else:
        remember = False
    contacts = list(contact_list_for_user(tenant=request.tenant, user=request.user))
    if remember:
        entry = (stamp, accounts_of(contacts))
        cache.set(_accounts_key(request), entry, settings.KONTOR_PAGE_CACHE_SECONDS)
    if not contacts:
        return None
    contact = _chosen(request, contacts, lambda c: c.customer_id)
    request.contacts = contacts
    contact_roles_known(request.user, request.tenant, {c.customer_id: c.role for c in contacts})
    return contact


def _chosen(request: HttpRequest, accounts: list[T], customer_of: Callable[[T], int]) -> T:
    """The account chosen in the session (the customer switch), else the first."""
    chosen = request.session.get(SESSION_KEY)
    return next((a for a in accounts if customer_of(a) == chosen), accounts[0])


def _accounts_key(request: HttpRequest) -> str:
    return f"portal-accounts:{request.tenant.pk}:{request.user.pk}"


def _page_from_cache(request: HttpRequest) -> HttpResponse | None:
    """A cached portal page without loading the person's contacts, their customers and the
    terms (the three costliest reads of a page served from the cache): the accounts the
    person had when `current_contact` last remembered them, while the platform's and the
    business's versions say that none changed since (a write to contacts or customers is
    always the business's: core.page_cache.TENANT_WIDE_TABLES)."""
    if not may_cache(request):
        return None
    remembered = cache.get(_accounts_key(request))
    if remembered is None:
        return None
    stamp, accounts = remembered
    if not accounts:
        return None
    account = _chosen(request, accounts, lambda a: a.customer_id)
    current = versions(request.tenant.pk, account.customer_id)
    if current[:2] != stamp:
        return None
    roles = {a.customer_id: a.role for a in accounts}
    contact_roles_known(request.user, request.tenant, roles)
    if not may(request.user, "portal.view", tenant=request.tenant, customer_id=account.customer_id):
        return None
    return cached_response(
        request, customer_id=account.customer_id, accounts=accounts, current=current
    )


def customer_required(view=None, *, legal_exempt: bool = False, acting_refuses: str | None = None):
    """Login required, and the user must be a contact of a customer of this tenant. Sets
    `request.contact` and `request.customer` for the view; staff without a customer account
    are pointed to the back office. New versions of the business's terms are accepted first
    (`legal_exempt` for the pages that show and accept them, or accept them on the way).
    Staff acting as the customer (contracts.acting) see the customer's pages with their own
    role's rights; `acting_refuses` names why a page's form is never sent for a customer (a
    code of contracts.acting.ACTING_REFUSALS)."""
    if view is None:
        return lambda v: customer_required(
            v, legal_exempt=legal_exempt, acting_refuses=acting_refuses
        )

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        acting_as = getattr(request, "acting_as", None)
        if acting_as is not None:
            # Staff acting as a customer: no contact, no terms gate (nor terms accepted for
            # them); the pages whose only action is accepting terms may be read, never sent.
            return acting_portal_view(
                request, acting_as, view, args, kwargs, refuses=acting_refuses
            )
        page_cached = getattr(view, "page_cached", False)
        if page_cached:
            cached = _page_from_cache(request)
            if cached is not None:
                return cached
        contact = current_contact(request, remember=page_cached)
        if contact is None or not may(
            request.user, "portal.view", tenant=request.tenant, customer_id=contact.customer_id
        ):
            return render(
                request,
                "portal/no_customer.html",
                {
                    "may_enter_backoffice": may(
                        request.user, "backoffice.enter", tenant=request.tenant
                    ),
                },
                status=403,
            )
        request.contact = contact
        # The contact was found within this tenant: its customer's tenant is the request's,
        # already loaded (prices and VAT read it), so no query fetches it again.
        contact.customer.tenant = request.tenant
        request.customer = contact.customer
        if page_cached:
            # Before the terms: a page in the cache under the current versions was rendered
            # after they were accepted, and no terms were published or accepted since (either
            # would have bumped a version). So is one from `_page_from_cache`.
            cached = cached_response(
                request, customer_id=contact.customer_id, accounts=accounts_of(request.contacts)
            )
            if cached is not None:
                return cached
        if not legal_exempt and legal_documents_pending(
            tenant=request.tenant, customer=contact.customer
        ):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('legal_accept')}?{query}")
        # What the view writes is this customer's (core.page_cache).
        with customer_scope(request.tenant.pk, contact.customer_id):
            return view(request, *args, **kwargs)

    return wrapper
