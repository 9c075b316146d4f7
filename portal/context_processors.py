from django.conf import settings
from django.http import HttpRequest

from core.page_cache import CSRF_PLACEHOLDER
from portal.navigation import licence_flags, sections_for


def portal(request: HttpRequest) -> dict:
    tenant = getattr(request, "tenant", None)
    context = {
        "tenant": tenant,
        "nav_sections": sections_for(tenant),
        "licence": licence_flags(tenant),
        "available_languages": settings.LANGUAGES,
    }
    if getattr(request, "page_cache_rendering", False):
        # A page for the cache (core.page_cache) carries no one's token: it is put in on the
        # way out. Context processors run after Django's own csrf one, so this one wins.
        context["csrf_token"] = CSRF_PLACEHOLDER
    return context
