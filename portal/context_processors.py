from django.conf import settings
from django.http import HttpRequest

from portal.navigation import licence_flags, sections_for


def portal(request: HttpRequest) -> dict:
    tenant = getattr(request, "tenant", None)
    return {
        "tenant": tenant,
        "nav_sections": sections_for(tenant),
        "licence": licence_flags(tenant),
        "available_languages": settings.LANGUAGES,
    }
