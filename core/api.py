"""The REST API's base view and errors, shared by every app's API views (subscriptions/api/):
the licence gate and RFC 9457 problem details for every error (authentication, scopes and the
rate limit are in core/api_auth.py)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from core.api_auth import AUTH_SCHEME, ApiAnonRateThrottle, HasScope
from core.licence import LicenceModule, licence_enabled
from core.models.translated import pick_text

PROBLEM_CONTENT_TYPE = "application/problem+json"
logger = logging.getLogger(__name__)


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
        # A bug: logged with its traceback; the client learns nothing of the internals.
        view = context.get("view")
        logger.error("API error in %s", type(view).__name__, exc_info=exc)
        exc = exceptions.APIException(_("An unexpected error occurred; it has been logged."))
    set_rollback()  # as DRF's own handler: an error leaves nothing half-written
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


class BoundedDateTimeField(serializers.DateTimeField):
    """A date and time from 2000 until tomorrow: outside it (or beyond what converting to the
    business's time zone can hold, e.g. year 1) a field error, never a 500."""

    EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.get_fixed_timezone(0))

    def to_internal_value(self, value: Any) -> datetime:
        try:
            moment = super().to_internal_value(value)
        except (OverflowError, ValueError) as exc:
            raise serializers.ValidationError(self._out_of_range()) from exc
        if not self.EARLIEST <= moment <= timezone.now() + timedelta(days=1):
            raise serializers.ValidationError(self._out_of_range())
        return moment

    @staticmethod
    def _out_of_range() -> str:
        return str(_("Give a date and time from the year 2000 until tomorrow."))


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "example": {"en": "Support", "fr": "Assistance", "de": "Support"},
    }
)
class TranslatedTextField(serializers.Field):
    """A catalogue text (core.models.translated) in every offered language, as
    `{"en": "…", "fr": "…", …}`: each as a customer reading in that language sees it, an empty
    translation already fallen back. Written, it takes the same object and gives the
    `{language: text}` of the languages given (unknown ones are an error, empty ones fall back),
    for the caller to store with `set_text`."""

    def __init__(self, field: str, **kwargs) -> None:
        self.text_field = field
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, obj) -> dict[str, str]:
        return {
            code: pick_text(getattr(obj, self.text_field), obj.translations, self.text_field, code)
            for code, _name in settings.LANGUAGES
        }

    def to_internal_value(self, data: Any) -> dict[str, str]:
        offered = {code for code, _name in settings.LANGUAGES}
        if not isinstance(data, dict):
            raise serializers.ValidationError(_("Give an object of texts by language code."))
        unknown = sorted(str(code) for code in data if code not in offered)
        if unknown:
            raise serializers.ValidationError(
                _("Unknown language: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        if not all(isinstance(text, str) for text in data.values()):
            raise serializers.ValidationError(_("Each text must be a string."))
        return {code: text.strip() for code, text in data.items()}


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

    def perform_authentication(self, request: Request) -> None:
        """Key guessing is bounded per address: over its budget of attempts without a valid
        key it is refused (429) before the key is even looked up."""
        anon = ApiAnonRateThrottle()
        if anon.exhausted(request, self):
            raise exceptions.Throttled(anon.wait())
        try:
            super().perform_authentication(request)
        except exceptions.APIException:
            anon.record(request, self)
            raise
        if request.auth is None:
            anon.record(request, self)  # no key at all: HasScope answers 401


class NotFoundView(APIView):
    """Every other address under /api/v1/: a problem 404, whatever the method or licence."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []
    schema = None  # not part of the documented API

    def initial(self, request: Request, *args, **kwargs) -> None:
        raise exceptions.NotFound()
