"""The versions of what portal pages show, and how every write bumps them.

A cached portal page (core.page_cache) is stored under three versions: the platform's, the
business's and the customer's. A version is a random token; a write replaces it, so every key
built from the old token is never read again (and expires).

## Every write bumps a version, however it is written
Not through model signals, which `update()`, `bulk_create()`, raw SQL and COPY pass by: every
statement Django sends goes through `_track` (a database execute wrapper, installed on every
connection). Any statement that is not a read (SELECT, savepoints, SET, SHOW…) is a write, and
bumps the versions its scope names:
- in a portal request by a customer's contact (`customer_scope`, set by contracts.access): the
  customer's version for a table the customer owns (a path of foreign keys leads from it to a
  customer); the business's for one the business owns, and for the tables that say who may
  open which account (`register_accounts`: contacts and customers, which every page's customer
  switch shows and contracts.access keeps per person);
- in any other request of a business (`business_scope`: the back office, the API, webhooks):
  the business's;
- anywhere else (Celery tasks, commands, the shell), and for a table no business owns (people,
  their e-mail addresses and second factors, which several businesses may show): the
  platform's.
COPY does not pass Django's cursor; the billing run, its one user, calls `pages_changed()`.
A few tables no portal page shows are left out (`IGNORED_TABLES`).

## Never a stale page after a write
A version is bumped twice: when the statement runs, and again after the transaction commits.
The second bump is the one that matters: a page rendered between the statement and the commit
read the data from before it, and may have been stored under the first new version. After the
commit, no reader can still be using a version from before it. (The first bump is what tests,
whose transactions never commit, see.) If the process dies between its commit and the second
bump, or the cache cannot be reached then (logged, and the request goes on), a page may lag
for at most `KONTOR_PAGE_CACHE_SECONDS`: the one window, and the pages' lifetime.

A version evicted from the cache comes back as a new random token, never as an old one, so an
eviction makes pages miss, not come back stale.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache as memoize

from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

logger = logging.getLogger(__name__)

# Written on reads, by logins (a second factor's last use) and by jobs, and shown by no portal
# page.
IGNORED_TABLES = frozenset(
    {"django_session", "core_auditentry", "core_job", "core_sentemail", "mfa_authenticator"}
)
# Statements that write nothing. Anything else is taken for a write: an unknown kind of
# statement bumps a version rather than leave a page stale.
_READS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET ", "SHOW", "EXPLAIN", "PRAGMA")
_WRITE = re.compile(
    r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+\"?(\w+)\"?", re.IGNORECASE
)
# A login's own write (django.contrib.auth.models.update_last_login): no page shows it.
_LAST_LOGIN = 'UPDATE "core_user" SET "last_login" = %s WHERE "core_user"."id" = %s'
PLATFORM_KEY = "page-v:all"

# (tenant id, customer id) of the portal request being served; a tenant id alone for any
# other request of a business; None outside requests.
_scope: ContextVar[tuple[int, int | None] | None] = ContextVar("page_cache_scope", default=None)
_accounts: dict[str, object] = {"owner": None, "tables": frozenset()}


def register_accounts(*, owner_model, tables: frozenset[str]) -> None:
    """Called by contracts' AppConfig.ready: the model a customer's rows hang from, and the
    tables that say who may open which account (a write to them is the business's)."""
    _accounts.update(owner=owner_model, tables=tables)
    _table_owners.cache_clear()


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


def tenant_key(tenant_id: int) -> str:
    return f"page-v:t:{tenant_id}"


def customer_key(customer_id: int) -> str:
    return f"page-v:c:{customer_id}"


def _owned_from(root, models: list) -> set:
    """`root` and every model with a path of foreign keys to it."""
    owned = {root}
    grew = True
    while grew:
        grew = False
        for model in models:
            if model not in owned and any(
                (field.many_to_one or field.one_to_one) and field.related_model in owned
                for field in model._meta.get_fields()
                if field.concrete
            ):
                owned.add(model)
                grew = True
    return owned


@memoize
def _table_owners() -> tuple[frozenset[str], frozenset[str]]:
    """(tables a customer owns, tables a business owns)."""
    models = apps.get_models(include_auto_created=True)
    by_customer = set()
    if _accounts["owner"] is not None:
        by_customer = _owned_from(_accounts["owner"], models)
    by_tenant = _owned_from(apps.get_model("core", "Tenant"), models)
    return (
        frozenset(m._meta.db_table for m in by_customer),
        frozenset(m._meta.db_table for m in by_tenant),
    )


def _keys_for(table: str | None) -> tuple[str, ...]:
    """The versions a write to `table` (None: a table the statement does not name) bumps."""
    scope = _scope.get()
    by_customer, by_tenant = _table_owners()
    if scope is None or table not in by_tenant:
        return (PLATFORM_KEY,)
    tenant_id, customer_id = scope
    if customer_id is not None and table in by_customer and table not in _accounts["tables"]:
        return (customer_key(customer_id),)
    return (tenant_key(tenant_id),)


def _bump(keys: tuple[str, ...]) -> None:
    try:
        cache.set_many({key: secrets.token_hex(8) for key in keys}, timeout=None)
    except Exception:  # the write is done: pages lag (at most their lifetime), nothing fails
        logger.exception("page versions %s not bumped", keys)


def pages_changed(
    tables: tuple[str | None, ...] = (None,), connection: BaseDatabaseWrapper | None = None
) -> None:
    """Pages showing what the current scope wrote to `tables` (through `connection`, the
    default one unless given) are out of date: bump their versions now and again once the
    transaction commits (see the module's note)."""
    keys = tuple(sorted({key for table in tables for key in _keys_for(table)}))
    _bump(keys)
    if connection is None:
        connection = transaction.get_connection()
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
    # Robust: the callbacks registered after this one (e-mails, PDFs) run whatever happens.
    connection.on_commit(bump_after_commit, robust=True)


def _track(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    # The connection itself, not its alias: Django's own (creating a test database, checks)
    # are under aliases no settings name.
    connection = context["connection"]
    if not isinstance(sql, str):
        pages_changed(connection=connection)
        return result
    if sql.lstrip()[:9].upper().startswith(_READS) or sql == _LAST_LOGIN:
        return result
    match = _WRITE.match(sql)
    table = match.group(1) if match else None
    if table not in IGNORED_TABLES:
        pages_changed((table,), connection=connection)
    return result


def _install(sender, connection, **kwargs) -> None:
    if _track not in connection.execute_wrappers:
        connection.execute_wrappers.append(_track)


def install() -> None:
    """Called once by core's AppConfig.ready: track the writes of every connection."""
    connection_created.connect(_install, dispatch_uid="core.page_versions")


def versions(tenant_id: int, customer_id: int | None = None) -> list[str]:
    """The platform's, the business's and (given one) the customer's versions, as they are."""
    keys = [PLATFORM_KEY, tenant_key(tenant_id)]
    if customer_id is not None:
        keys.append(customer_key(customer_id))
    found = cache.get_many(keys)
    for key in keys:
        if not found.get(key):
            # Never seen, or evicted: a new token, so no page stored before can match (and
            # one of this request's own if even that did not stay).
            cache.add(key, secrets.token_hex(8), timeout=None)
            found[key] = cache.get(key) or secrets.token_hex(8)
    return [found[key] for key in keys]
