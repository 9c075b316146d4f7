"""The browser enforces Kontor's Content-Security-Policy, and the journeys' `page` fixture
hears every violation (so a journey with one fails)."""

import pytest

from tests.e2e.conftest import tenant_url, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_injected_inline_script_is_refused_and_reported(live_server, chromium, world):
    context = chromium.new_context()
    page = context.new_page()
    heard = watch_csp(page)  # what the `page` and `open_window` fixtures listen with
    page.goto(tenant_url(live_server, "acme", "/accounts/login/"))
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.appendChild(script);
            const image = '<img src="x" onerror="window.handled = true">';
            document.body.insertAdjacentHTML("beforeend", image);
        }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.injected") is None and page.evaluate("window.handled") is None
    assert heard
    context.close()
