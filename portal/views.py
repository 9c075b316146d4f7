from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe

from contracts.access import SESSION_KEY, customer_required
from portal.navigation import SECTIONS, SECTIONS_BY_KEY


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
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/dashboard.html",
        {
            "section_key": "dashboard",
            "tiles": [s for s in SECTIONS if s.key != "dashboard"],
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
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    return redirect(next_url)
