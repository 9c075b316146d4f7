"""The portal link's pages: using a link (a page with one button, then the login), and asking
for a fresh link from the login page.

Opening the link shows a page and signing in is its button's POST: mail scanners that fetch
every link in a message would otherwise use a single-use link before its reader does.
"""

from __future__ import annotations

from allauth.account import app_settings as allauth_settings
from allauth.account.utils import perform_login
from allauth.core import ratelimit
from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from contracts.portal_links import (
    PortalLinkNotForStaff,
    PortalLinkUsed,
    login_url,
    portal_link_check,
    portal_link_redeem,
    portal_link_request,
)
from core.signing import LinkExpired, LinkInvalid

# The login page's e-mailed code and this request share allauth's budget ("20/m/ip,3/m/key",
# keyed by the address): both mail a way in, so alternating must not double it.
RATE_LIMIT_ACTION = "request_login_code"


def _tenant(request: HttpRequest):
    if getattr(request, "tenant", None) is None:
        raise Http404
    return request.tenant


def _refused(request: HttpRequest, exc: LinkInvalid) -> HttpResponse:
    if isinstance(exc, PortalLinkNotForStaff):
        messages.info(request, _("Log in with your password to continue."))
        return redirect(login_url(email=exc.email))
    if isinstance(exc, PortalLinkUsed):
        reason, status = "used", 410
    elif isinstance(exc, LinkExpired):
        reason, status = "expired", 410
    else:
        reason, status = "invalid", 404
    return render(request, "contracts/portal_link_invalid.html", {"reason": reason}, status=status)


def _next_path(request: HttpRequest) -> str:
    """Where a document's "Go to your portal" asked to land: a path on this host only."""
    target = request.POST.get("next", "")
    if (
        target.startswith("/")
        and len(target) <= 500
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return target
    return reverse("dashboard")


@never_cache
def portal_link(request: HttpRequest, token: str) -> HttpResponse:
    tenant = _tenant(request)
    try:
        link = portal_link_check(tenant=tenant, token=token)
    except LinkInvalid as exc:
        return _refused(request, exc)
    user = link.contact.user
    if request.method == "GET":
        if request.user.is_authenticated and request.user.pk == user.pk:
            return redirect("dashboard")  # already in: the link stays unused
        return render(request, "contracts/portal_link.html", {"contact": link.contact})
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    try:
        contact = portal_link_redeem(tenant=tenant, token=token)
    except LinkInvalid as exc:
        return _refused(request, exc)
    # allauth's own login: the adapter's pre_login (who may log in on this host), its stages
    # (two-factor authentication: a contact with TOTP still gives a code), the tenant-aware
    # backend, the session and last_login. The link proved the e-mail address it went to.
    return perform_login(
        request,
        contact.user,
        email_verification=allauth_settings.EmailVerificationMethod.NONE,
        redirect_url=_next_path(request),
        email=contact.user.email,
    )


class PortalLinkRequestForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254)


@never_cache
def portal_link_request_page(request: HttpRequest) -> HttpResponse:
    """ "E-mail me a sign-in link": the same answer whether or not the address is a contact."""
    tenant = _tenant(request)
    if request.user.is_authenticated:
        return redirect("dashboard")
    status = 200
    form = PortalLinkRequestForm(
        request.POST or None, initial={"email": request.GET.get("email", "")[:254]}
    )
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if ratelimit.consume(request, action=RATE_LIMIT_ACTION, key=email.lower()):
            portal_link_request(tenant=tenant, email=email)
            messages.success(
                request,
                _(
                    "If %(email)s belongs to a contact of a customer of %(business)s, a sign-in "
                    "link is on its way. It works once."
                )
                % {"email": email, "business": tenant.name},
            )
            return redirect("portal_link_request")
        form.add_error(None, _("Too many requests. Please wait a minute and try again."))
        status = 429
    elif request.method == "POST":
        status = 400
    return render(request, "contracts/portal_link_request.html", {"form": form}, status=status)
