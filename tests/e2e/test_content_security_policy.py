"""The browser enforces Kontor's Content-Security-Policy, and the journeys' `page` fixture
hears every violation (so a journey with one fails)."""

import pytest

from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_injected_inline_script_is_refused_and_reported(live_server, chromium, world):
    context = chromium.new_context()
    page = context.new_page()
    heard: list[str] = []
    page.on("console", lambda message: heard.append(message.text))
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
    assert any("Content Security Policy" in text for text in heard)
    context.close()
