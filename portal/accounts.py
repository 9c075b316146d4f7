"""allauth, made tenant-aware: who may log in on which host, who may sign up, how mails read."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.internal.stagekit import clear_login
from allauth.account.models import EmailConfirmation
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from contracts.services import customer_register_self
from core.models import User
from core.roles import may_log_in
from core.tenancy import link_base, tenant_host


class TenantAuthenticationBackend(AuthenticationBackend):
    """A person may log in on a tenant's host only if they are its staff or contact: the
    same e-mail and password elsewhere give the ordinary "not correct" answer."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> User | None:
        user = super().authenticate(request, **credentials)
        if user is None or request is None:
            return user
        return user if may_log_in(user, getattr(request, "tenant", None)) else None


def _request_tenant(request: HttpRequest | None):
    return getattr(request, "tenant", None) if request is not None else None


# Mails that let their reader in or vouch for an address: only to people who may log in on
# the host that sends them.
MAILS_THAT_OPEN_A_LOGIN = frozenset(
    {
        "account/email/login_code",
        "account/email/password_reset_key",
        "account/email/email_confirmation",
        "account/email/email_confirmation_signup",
    }
)
# Mails that point at a page rather than carry a key: their links are rebuilt on the
# configured host (allauth builds them from the request's Host header).
PAGE_LINKS = {"signup_url": "account_signup", "password_reset_url": "account_reset_password"}
MAILS_WITH_PAGE_LINKS = frozenset(
    {"account/email/unknown_account", "account/email/account_already_exists"}
)


class _MailSite:
    """What allauth's mail templates read as `current_site`."""

    def __init__(self, name: str, host: str) -> None:
        self.name = name
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
        tenant = _request_tenant(self.request)
        user = context.get("user") or User.objects.filter(email__iexact=email).first()
        if tenant is None:
            # The bare platform host is the superusers' alone: it mails nobody else, whether
            # the address is a business's user or unknown (the page reads the same either way).
            if user is None or not user.is_superuser:
                return
        elif (user is None and template_prefix in MAILS_THAT_OPEN_A_LOGIN) or (
            user is not None and not may_log_in(user, tenant)
        ):
            # A business mails only its own people: another business's customer gets nothing
            # branded as this one, whatever the mail (a code, a link, "you already have an
            # account"); an unknown address gets no key.
            return
        if template_prefix in MAILS_WITH_PAGE_LINKS:
            context = {
                **context,
                **{key: self._absolute(reverse(name)) for key, name in PAGE_LINKS.items()},
            }
        # allauth's mails greet "from <site name>": the tenant, on its configured host.
        if tenant is not None:
            site = _MailSite(tenant.name, tenant_host(tenant))
        else:
            site = _MailSite(settings.KONTOR_BASE_DOMAIN, settings.KONTOR_BASE_DOMAIN)
        super().send_mail(template_prefix, email, {**context, "current_site": site})

    def _absolute(self, path: str, request: HttpRequest | None = None) -> str:
        return link_base(_request_tenant(request or self.request)) + path

    def get_reset_password_from_key_url(self, key: str) -> str:
        return self._absolute(
            reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        ).replace("UID-KEY", quote(key))

    def get_email_confirmation_url(
        self, request: HttpRequest, emailconfirmation: EmailConfirmation
    ) -> str:
        path = reverse("account_confirm_email", args=[emailconfirmation.key])
        return self._absolute(path, request)

    def format_email_subject(self, subject: str) -> str:
        tenant = _request_tenant(self.request)
        prefix = f"[{tenant.name}] " if tenant is not None else ""
        return prefix + subject

    def get_from_email(self) -> str:
        tenant = _request_tenant(self.request)
        if tenant is None:
            return settings.DEFAULT_FROM_EMAIL
        address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
        return f"{tenant.name} <{address}>"
