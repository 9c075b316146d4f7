"""Whole portal pages from the cache, and the versions that make every write show at once.

A customer opens the same few pages again and again, and they change far less often than they
are read. So a portal page (`cached_page`) is kept whole in the cache (Redis), under a key that
names everything the page is made of:
- who reads it: the business (and its settings as loaded), the customer account, the person
  (their name, e-mail address and the accounts they may switch to), the language, the
  business's date today, and the path with its query;
- what it shows: three versions, the platform's, the business's and the customer's. A version
  is a random token; a write replaces it, so every key built from the old token is never read
  again (and expires);
- the code: the templates and the compiled catalogues, so that a release never serves a page
  rendered by the code before it.

## Every write bumps a version, however it is written
Not through model signals, which `update()`, `bulk_create()`, raw SQL and COPY pass by: every
statement Django sends goes through `_track` (a database execute wrapper, installed on every
connection), and every INSERT, UPDATE or DELETE bumps the versions its scope names:
- in a portal request by a customer's contact (`customer_scope`, set by contracts.access): the
  customer's version, and the business's when the table is not the customer's own (no path of
  foreign keys leads from it to a customer);
- in any other request of a business (the back office, the API, webhooks): the business's;
- anywhere else (Celery tasks, commands, the shell): the platform's.
COPY does not pass Django's cursor; the billing run, its one user, calls `pages_changed()`.
A few tables no portal page shows are left out (`IGNORED_TABLES`): the session, the audit
trail, background jobs, login records.

## Never a stale page after a write
A version is bumped twice: when the statement runs, and again after the transaction commits.
The second bump is the one that matters: a page rendered between the statement and the commit
read the data from before it, and may have been stored under the first new version. After the
commit, no reader can still be using a version from before it. (The first bump is what tests,
whose transactions never commit, see.) If the process dies between its commit and the second
bump, a page may lag for at most `KONTOR_PAGE_CACHE_SECONDS`; that is the one window, and it
is the pages' lifetime.

A version evicted from the cache comes back as a new random token, never as an old one, so an
eviction makes pages miss, not come back stale.

## What is never cached
Anything but a GET that answers 200 with HTML; a page with a message to show (it is shown
once); staff acting as a customer; a response that sets a cookie. CSRF tokens are rendered as
`CSRF_PLACEHOLDER` and replaced by the request's own token on the way out.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache as memoize
from functools import wraps
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

# What `{% csrf_token %}` prints in a page rendered for the cache (portal.context_processors):
# letters only, so that escaping leaves it as it is.
CSRF_PLACEHOLDER = "KontorCsrfPlaceholderToBeReplacedOnTheWayOut"

IGNORED_TABLES = frozenset(
    {
        "django_session",
        "core_auditentry",
        "core_job",
        "account_emailconfirmation",
        "usersessions_usersession",
    }
)
_WRITE = re.compile(r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)\"?", re.IGNORECASE)
_WRITE_ANYWHERE = re.compile(r"\b(?:INSERT|UPDATE|DELETE|TRUNCATE)\b", re.IGNORECASE)
_PLATFORM = "page-v:all"
# A login's own write (django.contrib.auth.models.update_last_login): no page shows it.
_LAST_LOGIN = 'UPDATE "core_user" SET "last_login" = '


# Who may open which customer account, and under which name: every page's shell shows them
# (the customer switch), and contracts.access keeps them per person in the cache under the
# business's version. So a write to them is the business's, never one customer's alone.
TENANT_WIDE_TABLES = frozenset({"contracts_customer", "contracts_contact"})

# (tenant id, customer id) of the portal request being served; a tenant id alone for any
# other request of a business; None outside requests.
_scope: ContextVar[tuple[int, int | None] | None] = ContextVar("page_cache_scope", default=None)


@contextmanager
def business_scope(tenant_id: int | None) -> Iterator[None]:
    token = _scope.set((tenant_id, None) if tenant_id else None)
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def customer_scope(tenant_id: int, customer_id: int) -> Iterator[None]:
    token = _scope.set((tenant_id, customer_id))
    try:
        yield
    finally:
        _scope.reset(token)


def _tenant_key(tenant_id: int) -> str:
    return f"page-v:t:{tenant_id}"


def _customer_key(customer_id: int) -> str:
    return f"page-v:c:{customer_id}"


@memoize
def _customer_tables() -> frozenset[str]:
    """Tables whose rows belong to one customer: the customer's own, and every table with a
    foreign key to one of those (an invoice, its lines, their allocations…)."""
    customer = apps.get_model("contracts", "Customer")
    owned = {customer}
    models = apps.get_models(include_auto_created=True)
    grew = True
    while grew:
        grew = False
        for model in models:
            if model in owned:
                continue
            if any(
                (field.many_to_one or field.one_to_one) and field.related_model in owned
                for field in model._meta.get_fields()
                if field.concrete
            ):
                owned.add(model)
                grew = True
    return frozenset(model._meta.db_table for model in owned)


def _keys_for(table: str | None) -> tuple[str, ...]:
    """The versions a write to `table` (None: a table the statement does not name) bumps."""
    scope = _scope.get()
    if scope is None:
        return (_PLATFORM,)
    tenant_id, customer_id = scope
    if customer_id is not None and table in _customer_tables() - TENANT_WIDE_TABLES:
        return (_customer_key(customer_id),)
    return (_tenant_key(tenant_id),)


def _bump(keys: tuple[str, ...]) -> None:
    cache.set_many({key: secrets.token_hex(8) for key in keys}, timeout=None)


def pages_changed(tables: tuple[str | None, ...] = (None,), using: str = "default") -> None:
    """Pages showing what the current scope wrote to `tables` are out of date: bump their
    versions now and again once the transaction commits (see the module's note)."""
    keys = tuple(sorted({key for table in tables for key in _keys_for(table)}))
    _bump(keys)
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return
    # One bump after commit per transaction (savepoint) level: one of the same keys that is
    # still registered, at this level or one around it, covers this write too. Django drops
    # the callbacks of a savepoint that rolls back, so such a write registers again.
    open_savepoints = set(connection.savepoint_ids)
    for savepoints, callback, _robust in connection.run_on_commit:
        if getattr(callback, "page_keys", None) == keys and set(savepoints) <= open_savepoints:
            return

    def bump_after_commit() -> None:
        _bump(keys)

    bump_after_commit.page_keys = keys  # type: ignore[attr-defined]
    transaction.on_commit(bump_after_commit, using=using)


def _track(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if sql.startswith(("SELECT", "SAVEPOINT", "RELEASE", _LAST_LOGIN)):
        return result
    match = _WRITE.match(sql)
    if match is not None:
        if match.group(1) not in IGNORED_TABLES:
            pages_changed((match.group(1),), using=context["connection"].alias)
    elif _WRITE_ANYWHERE.search(sql):
        pages_changed(using=context["connection"].alias)  # WITH … UPDATE, TRUNCATE, …
    return result


def _install(sender, connection, **kwargs) -> None:
    if _track not in connection.execute_wrappers:
        connection.execute_wrappers.append(_track)


def install() -> None:
    """Called once by core's AppConfig.ready: track the writes of every connection."""
    connection_created.connect(_install, dispatch_uid="core.page_cache")


# --- reading ----------------------------------------------------------------------------


def versions(tenant_id: int, customer_id: int | None = None) -> list[str]:
    """The platform's, the business's and (given one) the customer's versions, as they are."""
    keys = [_PLATFORM, _tenant_key(tenant_id)]
    if customer_id is not None:
        keys.append(_customer_key(customer_id))
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            # Never seen, or evicted: a new token, so no page stored before can match.
            cache.add(key, secrets.token_hex(8), timeout=None)
            found[key] = cache.get(key, "")
    return [found[key] for key in keys]


@memoize
def _release() -> str:
    """What the pages are rendered by: templates and compiled catalogues (size and time)."""
    digest = hashlib.sha1(usedforsecurity=False)
    roots = [Path(directory) for directory in settings.TEMPLATES[0]["DIRS"]]
    roots += [Path(directory) for directory in settings.LOCALE_PATHS]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".html", ".svg", ".mo", ".txt"):
                stat = path.stat()
                digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
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


# One customer account a person may open, as the shell shows it (the customer switch) and the
# page depends on it: (contact id, customer id, customer name, contact role).
Account = tuple[int, int, str, str]


def accounts_of(contacts) -> list[Account]:
    return [(c.pk, c.customer_id, c.customer.name, c.role) for c in contacts]


def page_key(
    request: HttpRequest, *, customer_id: int, accounts: list[Account], current: list[str]
) -> str:
    tenant, user = request.tenant, request.user
    parts = [
        _release(),
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

    wrapper.page_cached = True  # type: ignore[attr-defined]  # tests find every cached page
    return wrapper


def _with_token(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if not response.streaming and CSRF_PLACEHOLDER.encode() in response.content:
        response.content = response.content.replace(
            CSRF_PLACEHOLDER.encode(), get_token(request).encode()
        )
    return response
