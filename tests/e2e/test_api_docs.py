"""The API's Swagger UI renders in Chromium with our CSP on (no violation: the `page` fixture
fails on any), from our own static files, and lists every endpoint."""

import pytest

from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_under_the_content_security_policy(live_server, page, world, shoot):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(tenant_url(live_server, "acme", "/api/v1/docs/"))
    page.wait_for_selector("text=/api/v1/usage/")
    for operation in ("/api/v1/usage/check/", "/api/v1/departments/", "/api/v1/customers/"):
        assert page.locator(f"text={operation}").count() >= 1
    shoot("api-docs")
    assert all(".localhost:" in url for url in requested), "an asset came from elsewhere"
