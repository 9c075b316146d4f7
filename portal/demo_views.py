"""The demo's pages on the bare host (http://localhost:8000/ under `make run`): a home page with
every link and login of the demo, and the outbox where the e-mails sent are kept.

Only in demo mode (KONTOR_DEMO_OUTBOX, on under DEBUG), only on the bare host: the tenant
middleware routes nothing else here, and each view checks again, so a tenant's host and a
production deployment answer 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from contracts.portal_links import LinkInvalid, portal_link_copy
from core.outbox import (
    OutboxMessageMissing,
    outbox_attachment,
    outbox_entries,
    outbox_message,
    outbox_names,
)
from core.roles import SYSTEM
from portal.demo import DEMO_API_KEY, DEMO_PASSWORD
from portal.demo_pages import demo_businesses, demo_portal_link_contact

OUTBOX_PAGE_SIZE = 50

# The HTML part of an e-mail is someone else's markup: it is served on its own, in a sandbox
# (no script, no form, an origin of its own), framed only by the outbox's message page.
MAIL_HTML_POLICY = {
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["data:", "http:", "https:"],
    "font-src": ["data:"],
    "sandbox": ["allow-popups", "allow-popups-to-escape-sandbox"],
    "frame-ancestors": ["'self'"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
}
HEAD_TAG = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)


def demo_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.KONTOR_DEMO_OUTBOX or getattr(request, "tenant", None) is not None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _base_port(request: HttpRequest) -> str:
    """The port the visitor reached us on, for links to the businesses' own hosts."""
    return split_domain_port(request.get_host())[1]


@require_safe
@demo_page
def home(request: HttpRequest) -> HttpResponse:
    port = _base_port(request)
    response = render(
        request,
        "portal/demo_home.html",
        {
            "businesses": demo_businesses(scheme=request.scheme, port=port),
            "demo_password": DEMO_PASSWORD,
            "demo_api_key": DEMO_API_KEY,
            "outbox_count": len(outbox_names()),
        },
    )
    # The portal-link buttons post here and are redirected to a business's host: the browser
    # holds that redirect to this page's form-action too.
    businesses = f"{request.scheme}://*.{settings.KONTOR_BASE_DOMAIN}{f':{port}' if port else ''}"
    response._csp_update = {"form-action": [businesses]}
    return response


@require_POST
@demo_page
def portal_link(request: HttpRequest) -> HttpResponse:
    """A fresh single-use portal link for a demo account owner, followed at once."""
    contact = demo_portal_link_contact(
        tenant_slug=request.POST.get("business", ""), email=request.POST.get("email", "")
    )
    if contact is None:
        raise Http404
    try:
        url = portal_link_copy(contact=contact, actor=SYSTEM)
    except LinkInvalid:
        messages.error(request, _("This contact cannot sign in with a portal link."))
        return redirect("demo_home")
    port = _base_port(request)
    host = f"{contact.customer.tenant.slug}.{settings.KONTOR_BASE_DOMAIN}"
    return redirect(f"{request.scheme}://{host}{f':{port}' if port else ''}{urlsplit(url).path}")


@require_safe
@demo_page
def outbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(outbox_names(), OUTBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/outbox.html",
        {"page": page, "entries": outbox_entries(page.object_list)},
    )


@require_safe
@demo_page
def outbox_detail(request: HttpRequest, name: str) -> HttpResponse:
    try:
        message = outbox_message(name)
    except OutboxMessageMissing as exc:
        raise Http404 from exc
    return render(request, "portal/outbox_message.html", {"message": message})


@require_safe
@demo_page
@xframe_options_sameorigin
def outbox_html(request: HttpRequest, name: str) -> HttpResponse:
    try:
        html = outbox_message(name).html
    except OutboxMessageMissing as exc:
        raise Http404 from exc
    if html is None:
        raise Http404
    # Links open outside the frame: inside it, the portal's own pages refuse to be framed.
    base = '<base target="_blank">'
    head = HEAD_TAG.search(html)
    html = html[: head.end()] + base + html[head.end() :] if head else base + html
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response._csp_config = MAIL_HTML_POLICY  # replaces the site's policy for this response
    return response


@require_safe
@demo_page
def outbox_download(request: HttpRequest, name: str, number: int) -> HttpResponse:
    try:
        attachment, content = outbox_attachment(name, number)
    except OutboxMessageMissing as exc:
        raise Http404 from exc
    # Always a download, never shown here: an attached HTML file must not run on this origin.
    response = HttpResponse(content, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=attachment.filename
    )
    return response
