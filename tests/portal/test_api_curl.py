"""The API as a helpdesk sees it: the real curl binary against the live server reports tickets
until the credits run out, then gets 402 with a problem body."""

import json
import shutil
import subprocess

import pytest

from subscriptions.credits import credit_account
from tests.api_support import give_credits, helpdesk

pytestmark = pytest.mark.django_db(transaction=True)
CURL = "/usr/bin/curl"


def curl(live_server, secret: str, body: dict) -> tuple[int, dict, str]:
    port = live_server.url.rsplit(":", 1)[1]
    command = [
        *(CURL, "--silent", "--show-error", "--max-time", "20"),
        *("--resolve", f"acme.localhost:{port}:127.0.0.1"),
        *("--request", "POST", f"http://acme.localhost:{port}/api/v1/usage/"),
        *("--header", f"Authorization: Bearer {secret}"),
        *("--header", "Content-Type: application/json", "--data", json.dumps(body)),
        *("--write-out", "\n%{http_code} %{content_type}"),
    ]
    done = subprocess.run(  # noqa: S603 — the system's curl, arguments built here
        command,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    text, _sep, trailer = done.stdout.rpartition("\n")
    status, content_type = trailer.split(" ", 1)
    return int(status), json.loads(text), content_type


def test_curl_reports_tickets_until_the_credits_run_out(live_server, world):
    if not shutil.which(CURL):
        pytest.skip("no curl on this machine")
    desk = helpdesk(world)
    give_credits(world, world.alpha, 3)
    statuses = []
    for n in range(1, 6):
        status, body, content_type = curl(
            live_server,
            desk.secret,
            {
                "customer_number": world.alpha.number,
                "department": desk.support.pk,
                "kind": "ticket",
                "external_id": f"TICKET-{n}",
                "occurred_at": "2026-03-20T10:00:00+01:00",
            },
        )
        statuses.append(status)
        if status == 201:
            assert body["balance_after"] == 3 - n and body["credits_charged"] == 1
        else:
            assert content_type == "application/problem+json"
            assert body["code"] == "no_credits" and body["balance"] == 0
    assert statuses == [201, 201, 201, 402, 402]
    assert credit_account(world.alpha).balance == 0
