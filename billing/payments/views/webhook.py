"""Stripe's webhook: events arrive per business, are verified, stored once and handed on."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.payments.webhooks import BadEvent, BadSignature, webhook_accept, webhook_verify
from core.models import Tenant


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest, tenant: str) -> HttpResponse:
    """Stripe's events for one business: a bad signature or an event of the wrong shape is a
    400 and nothing is kept; a good one is stored once and handed to a worker."""
    business = get_object_or_404(Tenant, slug=tenant, is_active=True)
    try:
        event = webhook_verify(
            tenant=business,
            payload=request.body,
            signature=request.headers.get("Stripe-Signature", ""),
        )
    except BadSignature:
        return HttpResponseBadRequest("bad signature")
    except BadEvent:
        return HttpResponseBadRequest("bad event")
    webhook_accept(tenant=business, event=event)
    return HttpResponse("ok")
