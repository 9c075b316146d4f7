"""Real headless Chromium (Debian's), driven by Playwright against pytest-django's live server.

No Chromium: skipped with a notice — except under CI=true, where that is a failure.
"""

import os
from pathlib import Path

import pytest

from tests.stripe_fake import CARD_OK

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _chromium_path() -> str | None:
    path = os.environ.get("KONTOR_BROWSER", "/usr/bin/chromium")
    return path if path and Path(path).exists() else None


@pytest.fixture(scope="session")
def chromium():
    path = _chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true: Chromium is required for the browser tests")
        pytest.skip("no Chromium on this machine: browser tests skipped")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, which makes Django refuse ORM
    # calls from it (the test's own setup) unless told that this is intended — for these tests.
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if saved is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


def watch_csp(page) -> list[str]:
    """The Content-Security-Policy violations the browser reports on `page`'s console, as they
    come (the list fills while the test runs)."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


@pytest.fixture
def open_window(chromium):
    """`open_window()`: a fresh browser window of its own (cookies, session) and its page. The
    test fails if the browser reports any Content-Security-Policy violation in any window it
    opened (every page runs with the policy on, as in production)."""
    opened: list[tuple[object, list[str]]] = []

    def _open():
        context = chromium.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
        page = context.new_page()
        opened.append((context, watch_csp(page)))
        return page

    yield _open
    for context, _violations in opened:
        context.close()
    violations = [text for _context, heard in opened for text in heard]
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def page(open_window):
    """A fresh page, watched for Content-Security-Policy violations (see `open_window`)."""
    return open_window()


@pytest.fixture
def shoot(page):
    """Saves a full-page screenshot under test-artifacts/ and returns its path."""
    ARTIFACTS.mkdir(exist_ok=True)

    def _shoot(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shoot


def tenant_url(live_server, slug: str, path: str = "/") -> str:
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{slug}.localhost:{port}{path}"


def enter_test_card(
    page,
    *,
    number: str = CARD_OK,
    expiry: tuple[str, str] = ("12", "34"),
    postal_code: str | None = None,
) -> None:
    """Type a test card into the fake Stripe.js Card Element of the page (localstripe's fields)."""
    page.wait_for_selector("#card-element input[placeholder=number]")
    page.fill("#card-element input[placeholder=number]", number)
    page.fill("#card-element input[placeholder=exp_month]", expiry[0])
    page.fill("#card-element input[placeholder=exp_year]", expiry[1])
    page.fill("#card-element input[placeholder=cvc]", "123")
    if postal_code is not None:
        page.fill("#card-element input[placeholder=postal_code]", postal_code)
