"""Which customer a logged-in contact is acting for (a person may be contact of several)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from contracts.models import Contact
from contracts.selectors import contact_list_for_user
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


def customer_required(view):
    """Login required, and the user must be a contact of a customer of this tenant. Sets
    `request.contact` and `request.customer` for the view; staff without a customer account
    are pointed to the back office."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
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
        request.customer = contact.customer
        return view(request, *args, **kwargs)

    return wrapper
