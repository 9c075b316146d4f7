"""localstripe, the stateful fake Stripe, for the tests: started once per test process on a free
port (it binds all interfaces), with no state file, and what a browser's Stripe.js does against
it (`browser_saves_card`, `browser_authenticates`) — so our own code runs unmocked.

What localstripe 1.15 does differently from Stripe (found writing these tests): it ignores
idempotency keys (our own records must make retries safe, and do); it refuses `description` on
PaymentIntents (the invoice number goes in the metadata); a card saved by a SetupIntent is not
attached to the customer (the gateway attaches it when needed); `GET /v1/events` returns 10 unless
given `limit`; its state is one store per server (the fixtures empty it per test)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

# Stripe's documented test cards, as localstripe knows them.
CARD_OK = "4242424242424242"
CARD_DECLINED_OFF_SESSION = "4000000000000341"  # saves fine, every charge is declined
CARD_3DS = "4000002500003155"  # asks for 3-D Secure
CARD_DECLINED = "4000000000000002"  # refused when saved


@dataclass
class FakeStripe:
    url: str
    process: subprocess.Popen

    def post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(  # noqa: S310 — the fake's own http URL
            f"{self.url}{path}", data=json.dumps(body).encode(), method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return json.loads(exc.read() or b"{}")

    def browser_saves_card(self, client_secret: str, number: str = CARD_OK) -> dict:
        """What Stripe.js `confirmCardSetup` sends from the customer's browser."""
        setup_id = client_secret.split("_secret_")[0]
        card = {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"}
        answer = self.post(
            f"/v1/setup_intents/{setup_id}/confirm",
            {
                "key": "pk_test_kontor",
                "use_stripe_sdk": True,
                "client_secret": client_secret,
                "payment_method_data": {"type": "card", "card": card},
            },
        )
        if answer.get("status") == "requires_action":  # the 3-D Secure dialog, confirmed
            answer = self.post(
                f"/v1/setup_intents/{setup_id}/confirm",
                {"key": "pk_test_kontor", "use_stripe_sdk": True, "client_secret": client_secret},
            )
        return answer

    def browser_authenticates(self, client_secret: str, *, success: bool = True) -> dict:
        """What Stripe.js `confirmCardPayment` does for a payment that needs 3-D Secure."""
        intent = client_secret.split("_secret_")[0]
        return self.post(
            f"/v1/payment_intents/{intent}/_authenticate?success={str(success).lower()}",
            {"key": "pk_test_kontor", "client_secret": client_secret},
        )

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/_config/data", method="DELETE")  # noqa: S310
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start() -> FakeStripe:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 — our own interpreter and module
        [sys.executable, "-m", "billing.payments.localstripe_server", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:  # ready when it answers (about 0.5 s)
        try:
            urllib.request.urlopen(f"{url}/v1/customers", timeout=1).close()  # noqa: S310
            return FakeStripe(url, process)
        except urllib.error.HTTPError:
            return FakeStripe(url, process)  # answering (401 without a key) is ready
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("localstripe did not start") from None
            time.sleep(0.05)
