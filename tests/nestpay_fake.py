"""The NestPay simulator (billing/payments/nestpay/simulator) for the tests: started as its own
process on a free port, with one merchant, and what the cardholder's browser does against it
(`browser_pays`: post the signed form to the gate, pick a test card, read the back-post form)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser

from billing.payments.nestpay.hashing import nestpay_hash
from billing.payments.nestpay.simulator.cards import CARD_APPROVED
from tests.stripe_fake import free_port

CLIENT_ID = "100200127"
STORE_KEY = "TEST|store\\key"
API_USER = "kontorapi"
API_PASSWORD = "KontorApi1"


class _FormReader(HTMLParser):
    """The first form's action and its named inputs (hidden fields of the back-post)."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action = values.get("action", "")
        elif tag == "input" and "name" in values and values.get("type") == "hidden":
            self.fields[values["name"]] = values.get("value", "")


def read_form(html: str) -> tuple[str, dict[str, str]]:
    reader = _FormReader()
    reader.feed(html)
    return reader.action or "", reader.fields


@dataclass
class Response:
    status: int
    text: str


@dataclass
class FakeNestPay:
    url: str
    process: subprocess.Popen

    def post(self, path: str, data: bytes, content_type: str) -> Response:
        request = urllib.request.Request(  # noqa: S310 — the simulator's own http URL
            f"{self.url}{path}", data=data, method="POST", headers={"Content-Type": content_type}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                return Response(answer.status, answer.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.read().decode("utf-8"))

    def post_form(self, path: str, fields: dict[str, str]) -> Response:
        body = urllib.parse.urlencode(fields).encode()
        return self.post(path, body, "application/x-www-form-urlencoded")

    def signed_form(self, oid: str, amount: str = "100.00", **extra: str) -> dict[str, str]:
        """The form Kontor's pay page posts to the gate, signed with hash version 3."""
        fields = {
            "clientid": CLIENT_ID,
            "oid": oid,
            "amount": amount,
            "currency": "949",
            "okUrl": "https://globex.example/nestpay/ok/",
            "failUrl": "https://globex.example/nestpay/fail/",
            "rnd": f"rnd-{oid}",
            "storetype": "3d_pay_hosting",
            "hashAlgorithm": "ver3",
            "lang": "tr",
            "TranType": "Auth",
            "taksit": "",
            **extra,
        }
        return {**fields, "hash": nestpay_hash(fields, STORE_KEY)}

    def browser_pays(self, form: dict[str, str], card: str = CARD_APPROVED) -> tuple[str, dict]:
        """Gate, then the test-card page: returns the back-post (URL, fields)."""
        page = self.post_form("/fim/est3Dgate", form)
        assert page.status == 200, page.text
        _action, hidden = read_form(page.text)
        back = self.post_form("/fim/_pay", {"token": hidden["token"], "pan": card})
        assert back.status == 200, back.text
        return read_form(back.text)

    def browser_pays_3d_pay(
        self, form: dict[str, str], card: str = CARD_APPROVED
    ) -> tuple[str, dict]:
        """3D Pay: the signed form and the card typed on the merchant's page go to the gate
        together, then the 3-D Secure password page is confirmed: returns the back-post."""
        page = self.post_form("/fim/est3Dgate", {**form, **card_fields(card)})
        assert page.status == 200, page.text
        _action, hidden = read_form(page.text)
        back = self.post_form("/fim/_pay", {"token": hidden["token"], "password": "123456"})
        assert back.status == 200, back.text
        return read_form(back.text)

    def api(self, xml: str) -> Response:
        return self.post("/fim/api", xml.encode("utf-8"), "text/xml")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/_config/data", method="DELETE")  # noqa: S310
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310


def card_fields(card: str = CARD_APPROVED, **changes: str) -> dict[str, str]:
    """What a 3D Pay page posts for the card, beside the signed fields (never signed itself)."""
    return {
        "pan": card,
        "Ecom_Payment_Card_ExpDate_Month": "12",
        "Ecom_Payment_Card_ExpDate_Year": str(dt.date.today().year + 3)[2:],
        "cv2": "000",
        "cardType": "1",
        **changes,
    }


SIMULATOR = "billing.payments.nestpay_simulator"


def start() -> FakeNestPay:
    port = free_port()
    merchant = f"{CLIENT_ID}:{STORE_KEY}:{API_USER}:{API_PASSWORD}"
    process = subprocess.Popen(  # noqa: S603 — our own interpreter and module
        [sys.executable, "-m", SIMULATOR, "--port", str(port), "--merchant", merchant],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{url}/_health", timeout=1).close()  # noqa: S310
            return FakeNestPay(url, process)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the NestPay simulator did not start") from None
            time.sleep(0.05)
