from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.health import health


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, body = health()
    return JsonResponse(body, status=200 if healthy else 503)
