"""Whole portal pages from the cache.

A customer opens the same few pages again and again, and they change far less often than they
are read. So a portal page (`cached_page`) is kept whole in the cache (Redis), under a key that
names everything the page is made of:
- who reads it: the business (and its settings as loaded), the customer account, the person
  (their name, e-mail address and the accounts they may switch to, with their roles), the
  language, the business's date today, and the path with its query;
- what it shows: the platform's, the business's and the customer's versions, which every
  write bumps (core.page_versions);
- the code: Kontor's version, Django's, and a digest of our Python code, templates and
  compiled catalogues, so that a release never serves a page rendered by the code before it.

## A page from the cache costs one query
contracts.access serves a cached page before it loads the person's contacts and customers or
reads the business's terms: it keeps each person's accounts in the cache, stamped with the
platform's and the business's versions (which every write to contacts or customers bumps). On
a hit, what is left is the person (Django's session authentication) and three cache reads:
the accounts, the versions, the page.

## What is never cached
Anything but a GET that answers 200 with HTML; a query with parameters the pages do not read
(`QUERY_PARAMETERS`: anyone could fill the cache with `?x=1`, `?x=2`…); a page with a message
to show (it is shown once); staff acting as a customer; a response that sets a cookie. A form's
CSRF token is rendered as `CSRF_PLACEHOLDER` and replaced by the reader's own on the way out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache as memoize
from functools import wraps
from pathlib import Path
from typing import NamedTuple

import django
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

from core.page_versions import versions

# What `{% csrf_token %}` prints in a page rendered for the cache (portal.context_processors):
# letters only, so that escaping leaves it as it is. Only the form field that carries it is
# replaced, never the same letters written elsewhere on the page.
CSRF_PLACEHOLDER = "KontorCsrfPlaceholderToBeReplacedOnTheWayOut"
_CSRF_FIELD = f'name="csrfmiddlewaretoken" value="{CSRF_PLACEHOLDER}"'.encode()
# The query parameters the cached pages read: the list filter and the keyset cursors (the
# credit notes' too, a second list on a page).
QUERY_PARAMETERS = frozenset({"show", "after", "before", "credit_after", "credit_before"})
# Where the code that renders pages lives, for the release digest.
_CODE = ("core", "contracts", "subscriptions", "billing", "quotes", "portal")


class Account(NamedTuple):
    """One customer account a person may open, as the shell shows it (the customer switch)
    and as the page depends on it."""

    contact_id: int
    customer_id: int
    customer_name: str
    role: str


def accounts_of(contacts) -> list[Account]:
    return [Account(c.pk, c.customer_id, c.customer.name, c.role) for c in contacts]


@memoize
def _code_digest() -> str:
    """What pages are rendered by: Kontor's and Django's versions, and the content of our
    Python code, templates and compiled catalogues (so a fix deployed in place, without a new
    version, is a new digest; and two machines with the same code share their pages)."""
    digest = hashlib.sha1(
        f"{settings.KONTOR_VERSION}:{django.__version__}".encode(), usedforsecurity=False
    )
    base = Path(settings.BASE_DIR)
    roots = [base / name for name in _CODE]
    roots += [Path(directory) for directory in settings.TEMPLATES[0]["DIRS"]]
    roots += [Path(directory) for directory in settings.LOCALE_PATHS]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".html", ".svg", ".mo", ".txt") and path.is_file():
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _tenant_digest(tenant) -> str:
    """The business's settings as this process loaded them (the tenant is cached in-process
    for a while): a page rendered from older settings is not served to a process that has
    newer ones."""
    digest = getattr(tenant, "_page_cache_digest", None)
    if digest is None:
        values = repr(
            [(f.attname, getattr(tenant, f.attname)) for f in tenant._meta.concrete_fields]
        )
        digest = hashlib.sha1(values.encode(), usedforsecurity=False).hexdigest()
        tenant._page_cache_digest = digest
    return digest


def page_key(
    request: HttpRequest, *, customer_id: int, accounts: list[Account], current: list[str]
) -> str:
    tenant, user = request.tenant, request.user
    parts = [
        _code_digest(),
        tenant.pk,
        _tenant_digest(tenant),
        customer_id,
        user.pk,
        user.full_name,
        user.email,
        accounts,
        request.LANGUAGE_CODE,
        timezone.localdate().isoformat(),
        request.get_full_path(),
        *current,
    ]
    return "page:" + hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()


def may_cache(request: HttpRequest) -> bool:
    return (
        settings.KONTOR_PAGE_CACHE_SECONDS > 0
        and request.method == "GET"
        and getattr(request, "acting_as", None) is None
        and not len(getattr(request, "_messages", ()))
        and set(request.GET) <= QUERY_PARAMETERS
    )


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
        and not response.cookies
        and not getattr(getattr(request, "_messages", None), "used", False)
    )


def cached_response(
    request: HttpRequest,
    *,
    customer_id: int,
    accounts: list[Account],
    current: list[str] | None = None,
) -> HttpResponse | None:
    """The page from the cache, or None: then `request.page_cache_key` says where it goes.
    contracts.access.customer_required asks first, before the checks a hit makes needless.
    `current`: the versions, where the caller has just read them."""
    if not may_cache(request):
        return None
    if current is None:
        current = versions(request.tenant.pk, customer_id)
    key = request.page_cache_key = page_key(
        request, customer_id=customer_id, accounts=accounts, current=current
    )
    stored = cache.get(key)
    if stored is None:
        return None
    content, headers = stored
    response = HttpResponse(content)
    for name, value in headers.items():
        response[name] = value
    return _with_token(request, response)


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a portal page from the cache. Goes below contracts.access.customer_required (it
    reads `request.customer`), and above any view that adds to a TemplateResponse's context:
    the page is rendered here."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not may_cache(request):
            return view(request, *args, **kwargs)
        key = getattr(request, "page_cache_key", None)
        if key is None:
            accounts = accounts_of(getattr(request, "contacts", []))
            cached = cached_response(request, customer_id=request.customer.pk, accounts=accounts)
            if cached is not None:
                return cached
            key = request.page_cache_key
        request.page_cache_rendering = True
        try:
            response = view(request, *args, **kwargs)
            if not getattr(response, "is_rendered", True):
                response.render()  # a TemplateResponse: what it shows is final here
        finally:
            request.page_cache_rendering = False
        if not _storable(request, response):
            return _with_token(request, response)
        headers = {k: v for k, v in response.items()}
        cache.set(key, (response.content, headers), settings.KONTOR_PAGE_CACHE_SECONDS)
        return _with_token(request, response)

    # contracts.access looks for it (it serves a cached page before its own checks), and so
    # do the tests, to read every cached page back after every kind of write.
    wrapper.page_cached = True  # type: ignore[attr-defined]
    return wrapper


def _with_token(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if not response.streaming and _CSRF_FIELD in response.content:
        field = f'name="csrfmiddlewaretoken" value="{get_token(request)}"'.encode()
        response.content = response.content.replace(_CSRF_FIELD, field)
    return response
