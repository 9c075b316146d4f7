"""The NestPay XML API client against the simulator process: Credit, Void and the order inquiry."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from billing.payments.nestpay.client import NestPayApi, NestPayUnreachable
from billing.payments.nestpay.simulator.cards import CARD_INSUFFICIENT_FUNDS
from tests.nestpay_fake import API_PASSWORD, API_USER, CLIENT_ID
from tests.stripe_fake import free_port


@pytest.fixture
def bank(nestpay_bank):
    return nestpay_bank


@pytest.fixture
def api(bank) -> NestPayApi:
    return NestPayApi(f"{bank.url}/fim/api", CLIENT_ID, API_USER, API_PASSWORD, timeout=5)


def paid(bank, oid: str, amount: str = "100.00", **extra: str) -> None:
    """The cardholder paid `oid` through the gate: the bank has an approved sale."""
    _url, fields = bank.browser_pays(bank.signed_form(oid, amount, **extra))
    assert fields["Response"] == "Approved"


def test_a_full_credit_is_approved_and_shows_in_the_inquiry(bank, api) -> None:
    paid(bank, "ORD-FULL", "250.50")

    answer = api.credit("ORD-FULL", Decimal("250.50"), "TRY")

    assert answer.approved
    assert (answer.response, answer.proc_return_code, answer.err_msg) == ("Approved", "00", "")
    assert answer.order_id == "ORD-FULL"
    assert answer.trans_id and answer.auth_code and answer.host_ref_num
    assert api.history("ORD-FULL", "TRY").refunded == Decimal("250.50")
    # After a credit the bank's ORDERSTATUS describes the credit; the client still reports the sale.
    status = api.inquiry("ORD-FULL")
    assert status.found and status.approved
    assert (status.trans_stat, status.amount) == ("C", Decimal("250.50"))


def test_partial_credits_add_up_to_the_sale_and_no_further(bank, api) -> None:
    paid(bank, "ORD-PART", "100.00")

    first = api.credit("ORD-PART", Decimal("60"), "TRY")
    too_much = api.credit("ORD-PART", Decimal("40.01"), "TRY")
    rest = api.credit("ORD-PART", Decimal("40.00"), "TRY")

    assert first.approved and rest.approved
    assert first.trans_id != rest.trans_id
    assert not too_much.approved
    assert too_much.response == "Error"
    assert "refundable" in too_much.err_msg
    assert too_much.error_code.startswith("CORE-")
    assert api.inquiry("ORD-PART").amount == Decimal("100.00")
    history = api.history("ORD-PART", "TRY")
    assert history.refunded == Decimal("100.00")
    assert history.sale is not None and history.sale.amount == Decimal("100.00")
    credits = [(row.trans_stat, row.amount, row.proc_return_code)
               for row in history.transactions if row.charge_type == "C"]  # fmt: skip
    assert credits == [
        ("C", Decimal("60.00"), "00"),
        ("D", Decimal("40.01"), "99"),  # the bank keeps the refused credit too
        ("C", Decimal("40.00"), "00"),
    ]


def test_a_credit_in_another_currency_than_the_sale_is_refused(bank, api) -> None:
    paid(bank, "ORD-EUR")
    assert not api.credit("ORD-EUR", Decimal("1.00"), "EUR").approved


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(Decimal("1.005"), "TRY"), (Decimal("0"), "TRY"), (Decimal("-1"), "TRY"),
     (Decimal("1.00"), "GBP")],
)  # fmt: skip
def test_it_refuses_to_send_an_amount_the_bank_cannot_take(api, amount, currency) -> None:
    with pytest.raises(ValueError):
        api.credit("ORD-X", amount, currency)


def test_a_same_day_sale_is_voided_and_the_inquiry_says_so(bank, api) -> None:
    paid(bank, "ORD-VOID")

    answer = api.void("ORD-VOID")
    again = api.void("ORD-VOID")

    assert answer.approved and answer.trans_id
    assert not again.approved
    status = api.inquiry("ORD-VOID")
    assert status.found and status.voided and not status.approved
    assert status.trans_stat == "V"
    assert status.void_time
    history = api.history("ORD-VOID", "TRY")
    assert history.sale_voided and history.refunded == Decimal(0)


def test_a_refunded_sale_cannot_be_voided(bank, api) -> None:
    paid(bank, "ORD-RV")
    assert api.credit("ORD-RV", Decimal("1.00"), "TRY").approved

    answer = api.void("ORD-RV")

    assert not answer.approved
    assert answer.response == "Error"
    assert answer.err_msg
    assert api.inquiry("ORD-RV").trans_stat == "C"
    assert not api.history("ORD-RV", "TRY").sale_voided


def test_an_older_sale_cannot_be_voided(bank, api) -> None:
    paid(bank, "ORD-OLD")
    bank.post(
        "/_config/age", json.dumps({"oid": "ORD-OLD", "days": 1}).encode(), "application/json"
    )
    assert "same-day" in api.void("ORD-OLD").err_msg


def test_the_inquiry_reads_an_approved_sale(bank, api) -> None:
    paid(bank, "ORD-A", "1234.56", taksit="3")

    status = api.inquiry("ORD-A")

    assert status.found and status.approved and not status.no_record
    assert status.trans_stat == "C"
    assert status.amount == Decimal("1234.56")
    assert status.captured == Decimal("1234.56")
    assert status.trans_id and status.auth_code and status.host_ref_num and status.auth_time
    assert status.proc_return_code == "00"
    assert (status.response, status.err_msg) == ("Approved", "Record(s) found for ORD-A")


def test_the_inquiry_reads_a_declined_sale(bank, api) -> None:
    bank.browser_pays(bank.signed_form("ORD-D", "80.00"), CARD_INSUFFICIENT_FUNDS)

    status = api.inquiry("ORD-D")

    assert status.found and not status.approved and not status.voided
    assert status.response == "Approved"  # the query worked; the sale itself was declined
    assert status.trans_stat == "D"
    assert status.proc_return_code == "51"
    assert (status.amount, status.captured) == (Decimal("80.00"), Decimal("0.00"))


@pytest.mark.parametrize("abandoned", [False, True])
def test_the_inquiry_says_when_the_bank_has_no_such_order(bank, api, abandoned) -> None:
    if abandoned:  # the 3-D page was opened, the cardholder never came back
        assert bank.post_form("/fim/est3Dgate", bank.signed_form("ORD-NONE")).status == 200

    status = api.inquiry("ORD-NONE")

    assert not status.found and status.no_record
    assert not status.approved
    assert status.trans_stat == ""
    assert status.amount == Decimal(0)
    assert status.err_msg == "No record found for ORD-NONE"
    history = api.history("ORD-NONE", "TRY")
    assert not history.found and history.no_record
    assert history.transactions == [] and history.sale is None


@pytest.mark.parametrize(("user", "password"), [(API_USER, "wrong"), ("someone", API_PASSWORD)])
def test_wrong_api_credentials_are_an_answer_not_an_approval(bank, user, password) -> None:
    paid(bank, "ORD-C")
    api = NestPayApi(f"{bank.url}/fim/api", CLIENT_ID, user, password, timeout=5)

    void = api.void("ORD-C")
    status = api.inquiry("ORD-C")

    assert not void.approved
    assert (void.response, void.err_msg) == ("Error", "Invalid credentials")
    # Neither found nor known to be missing: a reconciliation must not settle the order on it.
    assert not status.found and not status.no_record
    assert status.err_msg == "Invalid credentials"
    history = api.history("ORD-C", "TRY")
    assert not history.found and not history.no_record


def test_an_order_id_with_markup_characters_is_sent_as_text(bank, api) -> None:
    # The simulator's gate would refuse such an oid, so nothing exists; what matters is that the
    # request stays well-formed XML and the bank answers about that very order id.
    assert api.inquiry("A<&>'\"B").no_record


def test_the_password_is_not_in_the_client_repr(api) -> None:
    assert API_PASSWORD not in repr(api)


def test_only_http_urls_are_accepted() -> None:
    with pytest.raises(ValueError):
        NestPayApi("file:///etc/passwd", CLIENT_ID, API_USER, API_PASSWORD)


def test_a_closed_port_is_unreachable() -> None:
    api = NestPayApi(f"http://127.0.0.1:{free_port()}/fim/api", CLIENT_ID, API_USER, API_PASSWORD)
    with pytest.raises(NestPayUnreachable):
        api.void("ORD-1")


class _Garbage(BaseHTTPRequestHandler):
    """Answers every POST with whatever the test put on the server."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, body = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def garbage_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    b"<CC5Response><Response>Approved</Response><ErrMsg>&b;</ErrMsg></CC5Response>"
)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"<html><body>Bakim calismasi</body></html"),
        (200, b"not xml at all"),
        (200, b""),
        (200, b"<html><body>ok</body></html>"),  # well-formed, but not a CC5Response
        (200, LAUGHS),  # a DTD has no place in an answer; its entities are not expanded
        (
            200,
            b"<CC5Response><Extra><ORD_ID>ORD-1</ORD_ID><TRANS_STAT>C</TRANS_STAT>"
            b"<ORIG_TRANS_AMT>12,00</ORIG_TRANS_AMT></Extra></CC5Response>",
        ),
        (500, b"<CC5Response><Response>Approved</Response></CC5Response>"),
        (503, b"Service Unavailable"),
    ],
)
def test_an_unreadable_answer_is_unreachable(garbage_server, status, body) -> None:
    garbage_server.answer = (status, body)  # type: ignore[attr-defined]
    port = garbage_server.server_address[1]
    api = NestPayApi(f"http://127.0.0.1:{port}/fim/api", CLIENT_ID, API_USER, API_PASSWORD)
    with pytest.raises(NestPayUnreachable):
        api.inquiry("ORD-1")


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n<CC5Response><Response>Appr",
        b"HTTP/1.1 2OO OK\r\n\r\n<CC5Response/>",  # not a status line: http.client's own error
    ],
)
def test_an_answer_cut_short_or_broken_is_unreachable(garbage_server, raw: bytes) -> None:
    class _Broken(_Garbage):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.wfile.write(raw)
            self.close_connection = True

    garbage_server.RequestHandlerClass = _Broken
    port = garbage_server.server_address[1]
    api = NestPayApi(f"http://127.0.0.1:{port}/", CLIENT_ID, API_USER, API_PASSWORD, timeout=5)
    with pytest.raises(NestPayUnreachable):
        api.void("ORD-1")


def test_a_bank_that_does_not_answer_in_time_is_unreachable(garbage_server) -> None:
    gate = threading.Event()

    class _Slow(_Garbage):
        def do_POST(self) -> None:
            gate.wait(5)

    garbage_server.RequestHandlerClass = _Slow
    port = garbage_server.server_address[1]
    api = NestPayApi(f"http://127.0.0.1:{port}/", CLIENT_ID, API_USER, API_PASSWORD, timeout=0.2)
    try:
        with pytest.raises(NestPayUnreachable):
            api.credit("ORD-1", Decimal("1.00"), "TRY")
    finally:
        gate.set()
