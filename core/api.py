"""The REST API's base view and errors, shared by every app's `api.py`: the licence gate and
RFC 9457 problem details for every error (authentication, scopes and the rate limit are in
core/api_auth.py)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_auth import AUTH_SCHEME, HasScope
from core.licence import LicenceModule, licence_enabled

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(exceptions.APIException):
    """An error with its own problem type (RFC 9457): `code` names it in `type` and `code`."""

    def __init__(self, *, status_code: int, code: str, title: str, detail: str, **extra) -> None:
        super().__init__(detail=detail, code=code)
        self.status_code, self.code, self.title, self.extra = status_code, code, title, extra


def problem_type(code: str) -> str:
    return f"urn:kontor:problem:{code.replace('_', '-')}"


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error as application/problem+json: type, title, status, detail, and for
    invalid input `errors`, each field with its messages."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handling, logged
    code = exc.status_code
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(code).phrase,
        "status": code,
    }
    headers: dict[str, str] = {}
    if isinstance(exc, Problem):
        body.update(type=problem_type(exc.code), title=str(exc.title), code=exc.code)
        body["detail"] = str(exc.detail)
        body.update(exc.extra)
    elif isinstance(exc, exceptions.ValidationError):
        body.update(
            type=problem_type("invalid"),
            title=str(_("Invalid input.")),
            code="invalid",
            detail=str(_("Some fields are not valid; see errors.")),
            errors=_field_errors(exc.detail),
        )
    else:
        body["detail"] = str(exc.detail)
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait) + 1)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            headers["WWW-Authenticate"] = AUTH_SCHEME
    return Response(body, status=code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for field, messages in detail.items():
            if isinstance(messages, dict):  # a nested serializer: "parent.child"
                for sub, sub_messages in _field_errors(messages).items():
                    flat[f"{field}.{sub}"] = sub_messages
            else:
                items = messages if isinstance(messages, list) else [messages]
                flat[str(field)] = [str(m) for m in items]
        return flat
    items = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": [str(m) for m in items]}


class LicencedApiMixin:
    """The API exists only while the business's licence holds paid VIP support: else every
    address under it answers 404, before authentication (no key is asked for)."""

    licence_module = LicenceModule.VIP_SUPPORT

    def initial(self, request: Request, *args, **kwargs) -> None:
        if not licence_enabled(getattr(request, "tenant", None), self.licence_module):
            raise exceptions.NotFound()
        super().initial(request, *args, **kwargs)


class ApiView(LicencedApiMixin, APIView):
    """The base of every API endpoint: licensed, keyed, scoped, throttled."""

    required_scope: str | None = None
    permission_classes = [HasScope]
