"""The simulator's HTTP server: routes requests to the gate, the XML API and the test controls."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

from billing.payments.nestpay.simulator import gate, xml_api
from billing.payments.nestpay.simulator.state import Bank, Merchant


def merchants_from(data: dict) -> list[Merchant]:
    """{clientid: {store_key, api_user, api_password}} -> merchants."""
    return [
        Merchant(
            client_id=str(client_id),
            store_key=str(entry["store_key"]),
            api_user=str(entry.get("api_user", "")),
            api_password=str(entry.get("api_password", "")),
        )
        for client_id, entry in data.items()
    ]


class Handler(BaseHTTPRequestHandler):
    bank: Bank  # set on the class made for each server
    server_version = "NestPaySimulator/1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the tests start it with its output discarded anyway

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _form(self) -> dict[str, str]:
        return dict(parse_qsl(self._body().decode("utf-8"), keep_blank_values=True))

    def _send(self, status: int, body: bytes | str, content_type: str) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _html(self, status: int, body: str) -> None:
        self._send(status, body, "text/html; charset=utf-8")

    def _json(self, status: int, value: object) -> None:
        self._send(status, json.dumps(value), "application/json")

    def do_GET(self) -> None:
        if self.path == "/_health":
            self._json(200, {"status": "ok"})
        else:
            self._html(404, gate.error_page("Not found"))

    def do_DELETE(self) -> None:
        if self.path == "/_config/data":
            self.bank.reset()
            self._json(200, {"status": "reset"})
        else:
            self._html(404, gate.error_page("Not found"))

    def do_POST(self) -> None:
        try:
            if self.path == "/fim/est3Dgate":
                fields = self._form()
                token = gate.accept_form(self.bank, fields)
                self._html(200, gate.session_page(self.bank, token))
            elif self.path == "/fim/_pay":
                form = self._form()
                card = form.get("pan") or form.get("cardnumber", "")
                url, answer = gate.pay(self.bank, form.get("token", ""), card)
                self._html(200, gate.back_post_page(url, answer))
            elif self.path == "/fim/api":
                self._api()
            elif self.path == "/_config/merchants":
                for merchant in merchants_from(json.loads(self._body() or b"{}")):
                    self.bank.add_merchant(merchant)
                self._json(200, {"status": "ok"})
            elif self.path == "/_config/age":
                self._age(json.loads(self._body() or b"{}"))
            else:
                self._html(404, gate.error_page("Not found"))
        except gate.GateError as exc:
            self._html(400, gate.error_page(str(exc)))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            self._html(400, gate.error_page(f"Bad request: {exc}"))

    def _api(self) -> None:
        body = self._body()
        if body.startswith(b"DATA="):  # the banks also take the XML as a form field
            body = dict(parse_qsl(body.decode("utf-8")))["DATA"].encode("utf-8")
        self._send(200, xml_api.handle(self.bank, body), "text/xml; charset=utf-8")

    def _age(self, data: dict) -> None:
        with self.bank.lock:
            order = self.bank.orders[str(data["oid"])]
            order.paid_on -= dt.timedelta(days=int(data["days"]))
        self._json(200, {"status": "ok"})


def make_server(
    port: int, merchants: list[Merchant], host: str = "127.0.0.1"
) -> ThreadingHTTPServer:
    bank = Bank()
    for merchant in merchants:
        bank.add_merchant(merchant)
    handler = type("BankHandler", (Handler,), {"bank": bank})
    return ThreadingHTTPServer((host, port), handler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="NestPay bank simulator (3-D gate and XML API)")
    parser.add_argument("--port", type=int, default=8430)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--merchants", type=Path, help="JSON file {clientid: {store_key, ...}}")
    parser.add_argument(
        "--merchant",
        action="append",
        default=[],
        metavar="CLIENTID:STOREKEY[:APIUSER:APIPASSWORD]",
    )
    args = parser.parse_args(argv)
    merchants = merchants_from(json.loads(args.merchants.read_text())) if args.merchants else []
    for spec in args.merchant:
        client_id, store_key, *api = spec.split(":", 3)
        user, password = ([*api, "", ""])[:2]
        merchants.append(Merchant(client_id, store_key, user, password))
    server = make_server(args.port, merchants, args.host)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
