"""API-key authentication, scopes and the per-key rate limit of the REST API.

Kept apart from core/api.py: DRF imports its default authentication class while importing its
own views module, so this module must not import rest_framework.views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from core.api_keys import api_key_authenticate
from core.models import ApiKey

if TYPE_CHECKING:
    from rest_framework.views import APIView

AUTH_SCHEME = "Bearer"


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer ktr_…`. The key must belong to the business the host names."""

    def authenticate(self, request: Request) -> tuple[ApiKey, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != AUTH_SCHEME.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send one API key after Bearer."))
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key.")) from exc
        tenant = getattr(request, "tenant", None)
        key = api_key_authenticate(tenant=tenant, secret=secret) if tenant else None
        if key is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        return key, key

    def authenticate_header(self, request: Request) -> str:
        return AUTH_SCHEME  # makes DRF answer 401 (not 403) without credentials


class HasScope(BasePermission):
    """The view's `required_scope` must be among the key's scopes."""

    message = _("This API key lacks the scope this endpoint needs.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False
        scope = getattr(view, "required_scope", None)
        if scope and not key.has_scope(scope):
            self.message = _("This API key lacks the scope %(scope)s.") % {"scope": scope}
            return False
        return True


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key (per client address on the public schema and docs), counted in the
    cache (Redis in production), at `KONTOR_API_RATE` — read when checked, so tests and
    deployments set it. Requests without a valid key never get here (authentication fails
    first): ApiAnonRateThrottle bounds those."""

    scope = "api_key"

    def get_rate(self) -> str:
        return settings.KONTOR_API_RATE

    def get_cache_key(self, request: Request, view: APIView) -> str:
        if isinstance(request.auth, ApiKey):
            ident = f"key-{request.auth.pk}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return f"throttle_{self.scope}_{ident}"


class ApiAnonRateThrottle(SimpleRateThrottle):
    """Attempts without a valid key (none, unknown, revoked) per client address, at
    `KONTOR_API_ANON_RATE`, so keys cannot be guessed at speed. Checked before the key is
    looked up (`exhausted`), counted after it failed (`record`): an address over its budget is
    refused even with a right key until the window passes."""

    scope = "api_anon"

    def get_rate(self) -> str:
        return settings.KONTOR_API_ANON_RATE

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return f"throttle_{self.scope}_addr-{self.get_ident(request)}"

    def exhausted(self, request: Request, view: APIView) -> bool:
        """Whether the address used its budget up; records nothing."""
        self.key = self.get_cache_key(request, view)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record(self, request: Request, view: APIView) -> None:
        """Count one failed attempt."""
        if not self.exhausted(request, view):
            self.throttle_success()


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the key: a bearer token."""

    target_class = "core.api_auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key an Owner creates in the back office (API keys).",
        }
