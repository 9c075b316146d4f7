"""Who may see a customer's portal pages: the gate every portal view of every app goes through.

A logged-in person acts for one customer at a time (they may be contact of several); pending
legal documents are accepted before anything else is shown."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from contracts.acting import acting_portal_view
from contracts.models import Contact
from contracts.selectors import contact_list_for_user, legal_documents_pending
from core.page_cache import customer_scope
from core.roles import may

SESSION_KEY = "kontor_customer_id"


def current_contact(request: HttpRequest) -> Contact | None:
    contacts = list(contact_list_for_user(tenant=request.tenant, user=request.user))
    if not contacts:
        return None
    chosen = request.session.get(SESSION_KEY)
    for contact in contacts:
        if contact.customer_id == chosen:
            break
    else:
        contact = contacts[0]
    request.contacts = contacts
    return contact


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
        contact = current_contact(request)
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
        if not legal_exempt and legal_documents_pending(
            tenant=request.tenant, customer=contact.customer
        ):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('legal_accept')}?{query}")
        # What the view writes is this customer's (core.page_cache).
        with customer_scope(request.tenant.pk, contact.customer_id):
            return view(request, *args, **kwargs)

    return wrapper
