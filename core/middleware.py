from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.template.loader import render_to_string
from django.utils import timezone, translation

# Not among django.utils.translation's public names, but the parser its own lookup uses: sorted
# by quality, an empty answer for a malformed header, a bounded read of an overlong one.
from django.utils.translation.trans_real import parse_accept_lang_header

from core.audit import current_ip
from core.page_versions import business_scope
from core.tenancy import is_platform_host, tenant_for_host

# Paths that work on any host, tenant or not: load-balancer probes and static assets.
# Stripe posts webhooks to one address per business, whichever host it was given.
HOSTLESS_PREFIXES = ("/healthz", "/static/", "/stripe/webhook/")
# Paths the bare platform host serves, for superusers (who pick a tenant in the back office).
PLATFORM_PREFIXES = ("/manage/", "/accounts/", "/i18n/")
# What the bare host serves besides in demo mode (KONTOR_DEMO_OUTBOX): the demo's home page and
# its outbox, from their own URLs (KONTOR_DEMO_URLCONF), so that no tenant host ever has them.
DEMO_PLATFORM_PATHS = ("/",)
DEMO_PLATFORM_PREFIXES = ("/outbox/", "/demo/")


def _not_found(request: HttpRequest) -> HttpResponse:
    # Rendered here rather than raised, so that the page is the plain 404 even under DEBUG,
    # in the visitor's language although no tenant (and so no tenant language) is known.
    with translation.override(TenantLocaleMiddleware.language_for(request)):
        return HttpResponseNotFound(
            render_to_string("404.html", {"unknown_host": True}, request=request)
        )


class RejectNulBytesMiddleware:
    """A 400 for any request with a NUL byte in its path, query, cookies or form fields.

    PostgreSQL refuses NUL in text, so such a value would end as a 500 wherever it reaches a
    query (a filter, a search, an object id, a session key), and no person types one. Form
    fields are read where CsrfViewMiddleware reads them, in process_view and not for views
    exempt from CSRF: those (the Stripe webhook) read their raw body, which parsing a multipart
    form first would consume. Uploaded files are not read, only their names."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        texts = [request.path, request.path_info, *request.COOKIES.keys()]
        texts += request.COOKIES.values()
        for key, values in request.GET.lists():
            texts += [key, *values]
        if _any_nul(texts):
            return _nul_refused()
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if getattr(view_func, "csrf_exempt", False):
            return None
        texts: list[str] = []
        for key, values in request.POST.lists():
            texts += [key, *values]
        for _field, uploads in request.FILES.lists():
            texts += [upload.name or "" for upload in uploads]
        return _nul_refused() if _any_nul(texts) else None


def _any_nul(texts) -> bool:
    return any("\x00" in text for text in texts)


def _nul_refused() -> HttpResponse:
    return HttpResponseBadRequest("NUL bytes are not accepted.")


class TenantMiddleware:
    """Sets `request.tenant` from the host; unknown hosts get a plain 404 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = None
        path = request.path_info
        if path.startswith(HOSTLESS_PREFIXES):
            return self.get_response(request)
        host = request.get_host()
        tenant = tenant_for_host(host)
        if tenant is None:
            if is_platform_host(host) and path.startswith(PLATFORM_PREFIXES):
                return self.get_response(request)
            if is_platform_host(host) and _demo_page(path):
                request.urlconf = settings.KONTOR_DEMO_URLCONF
                return self.get_response(request)
            return _not_found(request)
        request.tenant = tenant
        with timezone.override(zoneinfo.ZoneInfo(tenant.timezone)), business_scope(tenant.pk):
            return self.get_response(request)


def _demo_page(path: str) -> bool:
    return settings.KONTOR_DEMO_OUTBOX and (
        path in DEMO_PLATFORM_PATHS or path.startswith(DEMO_PLATFORM_PREFIXES)
    )


class TenantLocaleMiddleware:
    """The language of a page: the person's saved language, else the visitor's choice, else
    their browser's, else the business's.

    1. A logged-in person's own setting (`User.language`), which the language switcher and the
       language page (/accounts/language/) save. It follows the person to every browser, and no
       Accept-Language header overrides it. Staff acting as a customer (core.acting) stay who
       they are, so they keep their own language.
    2. The choice an anonymous visitor made with the switcher (the language cookie), and a
       logged-in person's choice on this browser while they have saved none.
    3. The browser's Accept-Language, its first language Kontor offers.
    4. The business's language (`Tenant.locale`), else the project's (LANGUAGE_CODE).

    Documents and the e-mails that carry them follow another rule, since they are read by
    whoever the customer forwards them to and are frozen once issued: the customer account's
    document language (`Customer.language`), else the business's. So a person reading pages in
    English may download an invoice in German. E-mails to one person about their own login
    (sign-in links) are in that person's language first (contracts.emails).

    Replaces Django's LocaleMiddleware, which knows neither the person nor the business. Placed
    after AuthenticationMiddleware, for `request.user`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self.language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        vary = response.headers.get("Vary", "")
        if "accept-language" not in vary.lower():
            response.headers["Vary"] = f"{vary}, Accept-Language" if vary else "Accept-Language"
        translation.deactivate()
        return response

    @staticmethod
    def language_for(request: HttpRequest) -> str:
        """The page's language by the order above. Also called before the person is known
        (an unknown host's 404 page), without step 1."""
        supported = dict(settings.LANGUAGES)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language in supported:
            return user.language
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if cookie in supported:
            return cookie
        browser = _browser_language(request.headers.get("Accept-Language", ""))
        if browser is not None:
            return browser
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.locale in supported:
            return tenant.locale
        return settings.LANGUAGE_CODE


def _browser_language(header: str) -> str | None:
    """The first language of an Accept-Language header that Kontor offers ("de-AT" gives "de"),
    or None: then the business's language applies, where Django's own lookup would answer with
    the project's (LANGUAGE_CODE)."""
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            return None
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


class RequestContextMiddleware:
    """Makes the client IP available to `core.audit.audit_record` without passing the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


def client_ip(request: HttpRequest) -> str | None:
    if settings.KONTOR_TRUST_X_FORWARDED_FOR:
        # The right-most entry is the one our own proxy appended; anything left of it came
        # from the client and may be forged.
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.rsplit(",", 1)[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None
