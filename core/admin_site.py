"""The back office: Django admin at /manage/, scoped to the tenant of the host it is opened on.

Access is decided by the role matrix (`core.roles`), not by Django's global `is_staff` and
model permissions: a staff member's role at *this* tenant says what they may see and do.
Superusers may pick any tenant (a filter on every list).
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from core.forms import value_fits
from core.licence import licence_admin_allows
from core.roles import may


class KontorAdminSite(admin.AdminSite):
    site_title = _("Kontor back office")
    site_header = _("Kontor back office")
    index_title = _("Back office")
    enable_nav_sidebar = True
    index_template = "admin/kontor_index.html"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._index_panels: list[Callable[[HttpRequest], str | None]] = []

    def add_index_panel(self, panel: Callable[[HttpRequest], str | None]) -> None:
        """Show `panel(request)`'s HTML at the top of the back office's home page (None: show
        nothing, e.g. for a role that may not see it). Apps above `core` add theirs from their
        admin module, so that this site never imports them."""
        if panel not in self._index_panels:
            self._index_panels.append(panel)

    def get_urls(self) -> list:
        # deferred: Django loads this site while it loads the apps, before models can be imported
        from core.admin_jobs import job_urls

        return [*job_urls(self), *super().get_urls()]

    def index(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        panels = [html for panel in self._index_panels if (html := panel(request))]
        return super().index(request, {"index_panels": panels, **(extra_context or {})})

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not user.is_active or not user.is_authenticated:
            return False
        if user.is_superuser:
            return True
        tenant = getattr(request, "tenant", None)
        return tenant is not None and may(user, "backoffice.enter", tenant=tenant)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """Log in through allauth (rate limits, login by code, MFA), never admin's own form."""
        if request.user.is_authenticated:
            if self.has_permission(request):
                return HttpResponseRedirect(resolve_url("admin:index"))
            raise PermissionDenied
        next_url = request.GET.get("next") or resolve_url("admin:index")
        return HttpResponseRedirect(
            f"{resolve_url('account_login')}?{urlencode({'next': next_url})}"
        )

    def password_change(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # One place to change a password: allauth's page (it signs other sessions out).
        return HttpResponseRedirect(resolve_url("account_change_password"))

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args, **kwargs):
            # A page of one row (change, history, delete, or a page a model admin adds) is a
            # 404 for an id its primary key could never hold — before any view or query sees it.
            model_admin = getattr(view, "__self__", None)
            object_id = kwargs.get("object_id")
            if (
                object_id is not None
                and isinstance(model_admin, admin.ModelAdmin)
                and not is_object_id(model_admin.model, str(object_id))
            ):
                raise Http404
            tenant = getattr(request, "tenant", None)
            user = request.user
            if (
                tenant is not None
                and tenant.staff_mfa_required
                and user.is_authenticated
                and self.has_permission(request)
                and not _has_mfa(user)
            ):
                # The tenant requires a second factor for its staff: set one up first.
                messages.warning(
                    request,
                    _(
                        "This business requires two-factor authentication for staff. "
                        "Please set it up to continue."
                    ),
                )
                return HttpResponseRedirect(resolve_url("mfa_activate_totp"))
            return inner(request, *args, **kwargs)

        guarded.__wrapped__ = inner
        return guarded

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        # The site's one autocomplete address serves every model: a lookup from a form of a
        # licence module that is off, or into one, is a 404 like the module's own pages.
        if not all(licence_admin_allows(request, m) for m in self._autocomplete_modules(request)):
            raise Http404
        return super().autocomplete_view(request)

    def _autocomplete_modules(self, request: HttpRequest) -> list:
        """The licence modules of the autocomplete's source model and of the model it lists."""
        try:
            source = apps.get_model(request.GET["app_label"], request.GET["model_name"])
            remote = source._meta.get_field(request.GET["field_name"]).remote_field.model
        except (KeyError, LookupError, FieldDoesNotExist, AttributeError, ValueError):
            return []  # malformed: Django's own view answers it
        return [
            getattr(self._registry.get(model), "licence_module", None) for model in (source, remote)
        ]

    def each_context(self, request: HttpRequest) -> dict:
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            context["site_header"] = tenant.name
            context["site_title"] = tenant.name
        context["tenant"] = tenant
        return context


def is_object_id(model: type[models.Model], object_id: str) -> bool:
    """Whether `object_id`, as the admin puts it in URLs, can name a row of `model`."""
    return value_fits(model._meta.pk, unquote(object_id))


def _has_mfa(user) -> bool:
    # deferred: Django loads this site while it loads the apps, before models can be imported
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class KontorAdminConfig(AdminConfig):
    default_site = "core.admin_site.KontorAdminSite"
