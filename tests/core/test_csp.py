"""Every response carries the Content-Security-Policy: our own origin only, no inline script,
no framing, and the card gateway's origins as the settings point at them."""

import pytest
from django.test import Client

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("alice", "/"),
        ("alice", "/invoices/"),
        ("alice", "/payment-methods/add/"),
        ("owner", "/manage/"),
        ("owner", "/manage/billing/invoice/"),
        (None, "/accounts/login/"),
        (None, "/no-such-page/"),
        (None, "/l/invoice/not-a-token/"),
    ],
)
def test_every_page_carries_the_policy(world, who, path):
    user = {"alice": world.alice, "owner": world.staff["acme", "owner"], None: None}[who]
    response = client_for(user, world.acme).get(path)
    assert response.status_code < 500
    rules = policy(response)
    assert rules["default-src"] == ["'self'"]
    assert rules["frame-ancestors"] == ["'none'"] and rules["object-src"] == ["'none'"]
    assert (
        "'unsafe-inline'" not in rules["script-src"] and "'unsafe-eval'" not in rules["script-src"]
    )
    assert "https://js.stripe.com" in rules["script-src"]
    assert "https://hooks.stripe.com" in rules["frame-src"]


def test_the_health_check_on_the_bare_host_carries_it_too(world):
    response = Client(HTTP_HOST="localhost").get("/healthz")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_a_local_fake_stripe_is_allowed_in_place_of_stripe(world, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:8420"
    settings.STRIPE_JS_URL = "http://127.0.0.1:8420/js.stripe.com/v3/"
    rules = policy(client_for(world.alice, world.acme).get("/payment-methods/add/"))
    assert "http://127.0.0.1:8420" in rules["script-src"]
    assert "http://127.0.0.1:8420" in rules["connect-src"]
    assert "https://js.stripe.com" not in rules["script-src"]


def test_pages_have_no_inline_script_or_event_handler(world):
    for path in ("/", "/invoices/", "/subscriptions/", "/payment-methods/add/"):
        html = client_for(world.alice, world.acme).get(path).content.decode()
        assert " onchange=" not in html and " onclick=" not in html and " onsubmit=" not in html
        for chunk in html.split("<script")[1:]:
            assert chunk.split(">", 1)[0].strip().startswith(("src=", 'type="application/json')), (
                chunk[:80]
            )


def test_a_request_refused_for_a_nul_byte_carries_the_policy_too(world):
    response = client_for(world.alice, world.acme).get("/invoices/?q=%00")
    assert response.status_code == 400
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
