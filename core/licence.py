"""Licence modules: the features a platform operator switches on per business.

A module that is off hides its pages, menus and back-office entries, and its addresses answer
404, as if they did not exist; its data is kept, and comes back when it is switched on again."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

from django.db import models
from django.http import Http404
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
