"""allauth, made tenant-aware: who may log in on which host, who may sign up, how mails read."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.internal.stagekit import clear_login
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _

from contracts.services import customer_register_self
from core.models import User
from core.roles import may_log_in


class TenantAuthenticationBackend(AuthenticationBackend):
    """A person may log in on a tenant's host only if they are its staff or contact: the
    same e-mail and password elsewhere give the ordinary "not correct" answer."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> User | None:
        user = super().authenticate(request, **credentials)
        if user is None or request is None:
            return user
        return user if may_log_in(user, getattr(request, "tenant", None)) else None


MAILS_THAT_OPEN_A_LOGIN = frozenset(
    {"account/email/login_code", "account/email/password_reset_key"}
)


class _TenantSite:
    """What allauth's mail templates read as `current_site`."""

    def __init__(self, tenant, host: str) -> None:
        self.name = tenant.name
        self.domain = host


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        tenant = getattr(request, "tenant", None)
        return tenant is not None and tenant.self_registration_enabled

    def save_user(self, request: HttpRequest, user: User, form, commit: bool = True) -> User:
        user = super().save_user(request, user, form, commit=commit)
        if commit and getattr(request, "tenant", None) is not None:
            customer_register_self(tenant=request.tenant, user=user)
        return user

    def pre_login(self, request: HttpRequest, user: User, **kwargs: Any) -> HttpResponse | None:
        # Login by e-mailed code does not pass through the backend above: check here too.
        if not may_log_in(user, getattr(request, "tenant", None)):
            clear_login(request)
            messages.error(request, _("This account has no access to this portal."))
            return HttpResponseRedirect(resolve_url("account_login"))
        return super().pre_login(request, user, **kwargs)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        tenant = getattr(self.request, "tenant", None) if self.request else None
        if tenant is not None and template_prefix in MAILS_THAT_OPEN_A_LOGIN:
            # Only to people who may log in here: another business's customer must not get a
            # code or reset link branded as this one (the page reads the same either way).
            user = context.get("user") or User.objects.filter(email__iexact=email).first()
            if user is None or not may_log_in(user, tenant):
                return
        # allauth's mails greet "from <site name>": that is the tenant, not the host name.
        if tenant is not None:
            context = {**context, "current_site": _TenantSite(tenant, self.request.get_host())}
        super().send_mail(template_prefix, email, context)

    def format_email_subject(self, subject: str) -> str:
        tenant = getattr(self.request, "tenant", None) if self.request else None
        prefix = f"[{tenant.name}] " if tenant is not None else ""
        return prefix + subject

    def get_from_email(self) -> str:
        tenant = getattr(self.request, "tenant", None) if self.request else None
        if tenant is None:
            return settings.DEFAULT_FROM_EMAIL
        address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
        return f"{tenant.name} <{address}>"
