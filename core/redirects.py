"""Where a `next` parameter may send someone: a path on this site, nothing else."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str) -> str:
    """The posted or queried `next` if it is a path on this host, else `default`.

    A path, not a URL name: `redirect()` would resolve a bare word such as `dashboard` as a view
    name (or fail on `foo`), so callers redirect with `HttpResponseRedirect` to what this returns.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
