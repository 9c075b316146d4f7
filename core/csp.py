"""The Content-Security-Policy on every response (django-csp).

The policy itself is `CONTENT_SECURITY_POLICY` in the settings: only our own origin, scripts
only from files or with the response's nonce (no inline script or event handler), no framing of
our pages. The card gateway's origins are added per request, from the settings that point at it
(`STRIPE_JS_URL`, `STRIPE_API_BASE`), so a local fake Stripe in tests and the demo is allowed
exactly as Stripe itself is in production.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

# Stripe.js: its script, its iframes (card field, 3-D Secure) and the API it calls.
STRIPE_JS = "https://js.stripe.com"
STRIPE_FRAMES = ("https://js.stripe.com", "https://hooks.stripe.com")
STRIPE_API = "https://api.stripe.com"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def gateway_sources() -> dict[str, list[str]]:
    """The directives the card gateway needs, from where the settings say it is."""
    script = _origin(settings.STRIPE_JS_URL) or STRIPE_JS
    api = _origin(settings.STRIPE_API_BASE) or STRIPE_API
    frames = sorted({*STRIPE_FRAMES, script})
    return {"script-src": [script], "frame-src": frames, "connect-src": sorted({api, script})}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only:
            parts.update = {**gateway_sources(), **(parts.update or {})}
        return parts
