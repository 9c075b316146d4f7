"""Which tenant a request is for, from its host name.

`<slug>.<KONTOR_BASE_DOMAIN>` (e.g. `acme.localhost`) or a custom `Domain` row. Lookups are
cached in-process for `KONTOR_TENANT_CACHE_SECONDS`: the tenant is needed on every request and
changes rarely. Branding edits reach other processes within that time; `tenant_cache_clear()`
clears this process at once (the admin calls it after saving a tenant).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from django.conf import settings

from core.models import Domain, Tenant
from core.models.tenant import normalize_host

# Bounded: every distinct Host header a client sends would otherwise stay here for good.
MAX_CACHED_HOSTS = 1024
_lock = threading.Lock()
_cache: OrderedDict[str, tuple[float, Tenant | None]] = OrderedDict()


def tenant_cache_clear() -> None:
    with _lock:
        _cache.clear()


def is_platform_host(host: str) -> bool:
    """The bare base domain: no tenant, only the health check and platform admin live there."""
    return normalize_host(host) == settings.KONTOR_BASE_DOMAIN


def tenant_host(tenant: Tenant) -> str:
    """The host a tenant's portal is served on by default, e.g. `acme.localhost`."""
    return f"{tenant.slug}.{settings.KONTOR_BASE_DOMAIN}"


def link_base(tenant: Tenant | None) -> str:
    """Where links in mails point: the configured scheme, host and port, never the Host header
    of the request that happened to send the mail. No tenant: the bare platform host."""
    host = tenant_host(tenant) if tenant is not None else settings.KONTOR_BASE_DOMAIN
    return f"{settings.KONTOR_LINK_SCHEME}://{host}{settings.KONTOR_LINK_PORT}"


def _lookup(host: str) -> Tenant | None:
    suffix = "." + settings.KONTOR_BASE_DOMAIN
    if host.endswith(suffix):
        slug = host[: -len(suffix)]
        if "." in slug or not slug:
            return None
        return Tenant.objects.filter(slug=slug, is_active=True).first()
    domain = Domain.objects.select_related("tenant").filter(host=host).first()
    if domain is None or not domain.tenant.is_active:
        return None
    return domain.tenant


def tenant_for_host(host: str) -> Tenant | None:
    host = normalize_host(host)
    ttl = settings.KONTOR_TENANT_CACHE_SECONDS
    now = time.monotonic()
    hit = _cache.get(host)
    if hit is not None and hit[0] > now:
        return hit[1]
    tenant = _lookup(host)
    if ttl > 0:
        with _lock:
            _cache[host] = (now + ttl, tenant)
            _cache.move_to_end(host)
            while len(_cache) > MAX_CACHED_HOSTS:
                _cache.popitem(last=False)
    return tenant
