from django.conf import settings
from django.http import HttpRequest

from portal.navigation import SECTIONS


def portal(request: HttpRequest) -> dict:
    return {
        "tenant": getattr(request, "tenant", None),
        "nav_sections": SECTIONS,
        "available_languages": settings.LANGUAGES,
    }
