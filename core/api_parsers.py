"""The REST API's JSON parser: a bounded body, and any malformed body a 400.

Kept apart from core/api.py: DRF imports its default parser classes while importing its own
views module, so this module must not import rest_framework.views."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = _("The request body is too large.")
    default_code = "too_large"


class BoundedJSONParser(JSONParser):
    """DRF reads the body stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not bound
    it: at most `KONTOR_API_MAX_BODY` bytes are read (more: 413). Nesting too deep for the JSON
    decoder (RecursionError) is a malformed body (400), not a 500."""

    def parse(self, stream, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.KONTOR_API_MAX_BODY
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise RequestTooLarge(
                _("The request body is larger than %(limit)s bytes.") % {"limit": limit}
            )
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except (RecursionError, ValueError) as exc:
            raise exceptions.ParseError(_("The request body is not valid JSON.")) from exc
