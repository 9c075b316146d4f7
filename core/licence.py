"""Licence modules: the features a platform operator switches on per business.

A module that is off hides its pages, menus and back-office entries, and its addresses answer
404, as if they did not exist; its data is kept, and comes back when it is switched on again."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from core.models import Tenant


class LicenceModule(models.TextChoices):
    VIP_SUPPORT = "vip_support", _("Paid VIP support (packages and credits)")
    QUOTES = "quotes", _("Quotes")
    ORDERING = "ordering", _("Self-service ordering")
    EINVOICING = "einvoicing", _("E-invoicing")


def default_licence_modules() -> list[str]:
    """New businesses start with every module; the operator switches off what is not sold."""
    return [module.value for module in LicenceModule]


def licence_enabled(tenant: Tenant | None, module: LicenceModule | str) -> bool:
    return tenant is not None and str(module) in (tenant.licence_modules or ())


def licence_required(module: LicenceModule) -> Callable:
    """A portal view that exists only while the request's business holds `module`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not licence_enabled(getattr(request, "tenant", None), module):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def licence_modules_clean(modules: object) -> list[str]:
    """`modules` as stored: known module names only, each once, in the order of LicenceModule.
    Anything else is refused, never silently dropped (a typo would switch a module off)."""
    if not isinstance(modules, list | tuple | set | frozenset) or not all(
        isinstance(m, str) for m in modules
    ):
        raise ValidationError(_("Choose licence modules from the list."), code="invalid")
    unknown = sorted(set(modules) - set(LicenceModule.values))
    if unknown:
        raise ValidationError(
            _("Unknown licence modules: %(modules)s.") % {"modules": ", ".join(unknown)},
            code="unknown",
        )
    return [module for module in LicenceModule.values if module in modules]


def licence_labels(tenant: Tenant) -> list[str]:
    """The names of the modules `tenant`'s licence includes, for people to read."""
    return [str(m.label) for m in LicenceModule if licence_enabled(tenant, m)]


def licence_admin_allows(request: HttpRequest, module: LicenceModule | str | None) -> bool:
    """Whether a back-office page of `module` exists for this request. Gated by the tenant of
    the host: on the platform host (no tenant) the operator works across every business, so
    nothing is hidden there."""
    tenant = getattr(request, "tenant", None)
    return module is None or tenant is None or licence_enabled(tenant, module)


def licence_admin_required(module: LicenceModule | str | None, view: Callable) -> Callable:
    """A back-office view (already wrapped by the admin site) that answers 404 while the
    request's business lacks `module`: before login and permission checks, so no page tells
    the module exists."""
    if module is None:
        return view

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not licence_admin_allows(request, module):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped
