"""A newcomer after `make run`: the bare host's home page links both businesses, the back
office, the payment links, portal links and the outbox; the outbox lists the demo's e-mails,
shows one with its HTML part in a sandboxed frame, and hands out its PDF. Desktop and phone."""

import pytest
from django.core.management import call_command

from core.outbox import outbox_message, outbox_names
from tests.e2e.conftest import tenant_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def bare_url(live_server, path: str = "/") -> str:
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://localhost:{port}{path}"


def both_widths(page, shoot, name: str) -> None:
    shoot(f"{name}-1280")
    page.set_viewport_size({"width": 360, "height": 780})
    shoot(f"{name}-360")
    # No sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size({"width": 1280, "height": 860})


def test_a_newcomer_finds_the_demo_links_and_reads_the_outbox(
    live_server, page, shoot, settings, tmp_path, eager_tasks
):
    settings.KONTOR_DEMO_OUTBOX = True
    settings.KONTOR_OUTBOX_DIR = tmp_path / "outbox"
    settings.EMAIL_BACKEND = "core.outbox.OutboxEmailBackend"
    call_command("seed_demo", nestpay_simulator="")
    with_pdf = next(n for n in outbox_names() if outbox_message(n).attachments)
    message = outbox_message(with_pdf)

    page.goto(bare_url(live_server))
    page.wait_for_selector("h1:has-text('Kontor demo')")
    for slug in ("acme", "globex"):
        assert page.locator(f"a[href='{tenant_url(live_server, slug)}']").count() == 1
        assert page.locator(f"a[href='{tenant_url(live_server, slug, '/manage/')}']").count() == 1
    assert page.locator(".demo-payment-links a").count() >= 4
    both_widths(page, shoot, "demo-home")

    page.click("a:has-text('Open the outbox')")
    page.wait_for_selector("table.outbox-list")
    assert page.locator("table.outbox-list tbody tr").count() == min(len(outbox_names()), 50)
    both_widths(page, shoot, "outbox-list")

    page.goto(bare_url(live_server, f"/outbox/{with_pdf}/"))
    page.wait_for_selector(f"h1:has-text('{message.entry.subject}')")
    frame = page.frame_locator("iframe.outbox-html")
    frame.locator("body").wait_for()
    assert frame.locator("body").inner_text().strip()
    both_widths(page, shoot, "outbox-message")
    first = message.attachments[0]
    with page.expect_download() as download:
        page.click(f"a:has-text('{first.filename}')")
    assert download.value.suggested_filename == first.filename

    # A portal link from the home page signs customer1 in at acme, once.
    page.goto(bare_url(live_server))
    page.click("button:has-text('Sign in as customer1@acme.test')")
    page.wait_for_selector("text=customer1@acme.test")
    assert page.url.startswith(tenant_url(live_server, "acme", "/l/portal/"))
