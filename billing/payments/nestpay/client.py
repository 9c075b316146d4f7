"""NestPay's XML API (`/fim/api`), server to server: refunds (`Credit`), voids (`Void`) and the
order inquiry (`<Extra><ORDERSTATUS>QUERY</ORDERSTATUS></Extra>`).

One `CC5Request` goes out as an XML POST, one `CC5Response` comes back. The bank's verdict lives in
the answer (`Response`, `ProcReturnCode`, `ErrMsg`), so a refused refund is an `ApiAnswer` with
`approved=False`, not an exception. `NestPayUnreachable` means something else: no readable answer
came back (network error, timeout, HTTP error, garbage), so the outcome is *unknown* — a credit may
or may not have happened. Callers retry with the same order id and check with `inquiry`.

Pure module: no models, no settings. The credentials are never logged and never in `repr`.
"""

from __future__ import annotations

import http.client
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

from billing.payments.nestpay.codes import (
    APPROVED_CODE,
    APPROVED_RESPONSE,
    currency_code,
    currency_from_code,
)
from core.money import minor_unit_exponent, round_money

logger = logging.getLogger(__name__)

# A CC5Response is a few hundred bytes; anything far larger is not an answer to read.
MAX_ANSWER_BYTES = 256 * 1024
# The bank's words for "this order id does not exist here" (English and Turkish banks' texts).
NO_RECORD_MARKERS = ("no record found", "kayıt bulunamadı")


class NestPayUnreachable(Exception):
    """No readable answer from the bank: the request may or may not have been carried out."""


@dataclass(frozen=True)
class ApiAnswer:
    """The bank's answer to a Credit or a Void."""

    approved: bool  # Response "Approved" and ProcReturnCode "00"
    response: str  # Approved | Declined | Error
    proc_return_code: str
    err_msg: str  # the bank's own text (Turkish or English): for logs and staff, never customers
    trans_id: str
    auth_code: str
    order_id: str


@dataclass(frozen=True)
class OrderStatus:
    """What the order inquiry says about one order id.

    `found` is True when the bank answered with the order. `no_record` is True only when the bank
    said it has no such order: an abandoned 3-D page, for instance. When both are False the inquiry
    itself failed (wrong API credentials, say; see `err_msg`) and nothing is known about the order.
    """

    found: bool
    no_record: bool
    trans_stat: str  # C completed, V voided, D declined, … as the bank sends it; "" when unknown
    approved: bool  # the sale's authorization: Response "Approved" and ProcReturnCode "00"
    amount: Decimal  # the sale's amount (ORIG_TRANS_AMT)
    captured: Decimal  # CAPTURE_AMT
    refunded: Decimal  # REFUND_AMT; 0 when the bank does not send it
    currency: str  # ISO 4217 alphabetic ("TRY"), "" when absent or not one Kontor knows
    installments: str
    trans_id: str
    auth_code: str
    proc_return_code: str
    err_msg: str
    response: str

    @property
    def voided(self) -> bool:
        return self.trans_stat == "V"


class NestPayApi:
    """A client for one merchant's XML API: `NestPayApi(url, client_id, user, password)`."""

    def __init__(
        self,
        api_url: str,
        client_id: str,
        api_user: str,
        api_password: str,
        timeout: float = 20,
    ) -> None:
        if urllib.parse.urlsplit(api_url).scheme not in ("http", "https"):
            # urllib would also open file:// and ftp:// URLs; the API address is typed by staff.
            raise ValueError("the NestPay API URL must be http(s)")
        self.api_url = api_url
        self.client_id = client_id
        self.api_user = api_user
        self._api_password = api_password
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"NestPayApi({self.api_url!r}, client_id={self.client_id!r})"

    def credit(self, oid: str, amount: Decimal, currency: str) -> ApiAnswer:
        """Refund `amount` of the sale `oid`. Several partial credits may follow one sale."""
        values = {
            "Type": "Credit",
            "OrderId": oid,
            "Total": _amount_text(amount, currency),
            "Currency": _currency_number(currency),
        }
        return _api_answer(self._send(values, oid))

    def void(self, oid: str) -> ApiAnswer:
        """Cancel the sale `oid`; banks allow it only before the day's settlement."""
        return _api_answer(self._send({"Type": "Void", "OrderId": oid}, oid))

    def inquiry(self, oid: str) -> OrderStatus:
        """Ask the bank what became of `oid` (ORDERSTATUS query)."""
        root = self._send({"OrderId": oid, "Extra": {"ORDERSTATUS": "QUERY"}}, oid)
        return _order_status(root)

    def _send(self, values: dict[str, str | dict[str, str]], oid: str) -> ET.Element:
        body = self._request_xml(values)
        request = urllib.request.Request(  # noqa: S310 — scheme checked in __init__
            self.api_url,
            data=body,
            method="POST",
            headers={"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml"},
        )
        kind = values.get("Type") or "Inquiry"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                status = answer.status
                payload = answer.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            logger.warning("NestPay API %s %s: HTTP %s", kind, oid, exc.code)
            raise NestPayUnreachable(f"the NestPay API answered HTTP {exc.code}") from None
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, cut answers
            logger.warning("NestPay API %s %s: %s", kind, oid, type(exc).__name__)
            raise NestPayUnreachable(f"the NestPay API could not be reached: {exc}") from None
        if status != 200:
            raise NestPayUnreachable(f"the NestPay API answered HTTP {status}")
        if len(payload) > MAX_ANSWER_BYTES:
            raise NestPayUnreachable("the NestPay API's answer is too large")
        root = _parse(payload)
        logger.info(
            "NestPay API %s %s: %s %s",
            kind,
            oid,
            _text(root, "Response"),
            _text(root, "ProcReturnCode"),
        )
        return root

    def _request_xml(self, values: dict[str, str | dict[str, str]]) -> bytes:
        # ElementTree escapes every value: an order id or a password with "<" or "&" stays text.
        root = ET.Element("CC5Request")
        credentials = {"Name": self.api_user, "Password": self._api_password}
        for name, value in {**credentials, "ClientId": self.client_id, **values}.items():
            node = ET.SubElement(root, name)
            if isinstance(value, dict):
                for child, text in value.items():
                    ET.SubElement(node, child).text = text
            else:
                node.text = value
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


class _NoDoctype(ET.TreeBuilder):
    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise ET.ParseError("a CC5Response has no DOCTYPE")


def _parse(payload: bytes) -> ET.Element:
    # defusedxml is not among Kontor's dependencies, so the standard library parses. That is safe
    # enough for the bank's answer: ElementTree never fetches external entities or DTDs, expat
    # (>= 2.4, bundled with every supported Python) refuses billion-laughs expansion, and on top
    # of that any DOCTYPE is refused outright — a CC5Response never has one, and without a DTD
    # no entity can be declared at all.
    parser = ET.XMLParser(target=_NoDoctype())  # noqa: S314 — DOCTYPE refused, see above
    try:
        parser.feed(payload)
        root = parser.close()
    except ET.ParseError as exc:
        raise NestPayUnreachable(f"the NestPay API's answer is not XML: {exc}") from None
    if root.tag != "CC5Response":
        raise NestPayUnreachable(f"the NestPay API answered <{root.tag}>, not a CC5Response")
    return root


def _text(root: ET.Element, path: str) -> str:
    node = root.find(path)
    return (node.text or "").strip() if node is not None else ""


def _approved(root: ET.Element) -> bool:
    return (
        _text(root, "Response") == APPROVED_RESPONSE
        and _text(root, "ProcReturnCode") == APPROVED_CODE
    )


def _api_answer(root: ET.Element) -> ApiAnswer:
    return ApiAnswer(
        approved=_approved(root),
        response=_text(root, "Response"),
        proc_return_code=_text(root, "ProcReturnCode"),
        err_msg=_text(root, "ErrMsg"),
        trans_id=_text(root, "TransId"),
        auth_code=_text(root, "AuthCode"),
        order_id=_text(root, "OrderId"),
    )


def _order_status(root: ET.Element) -> OrderStatus:
    err_msg = _text(root, "ErrMsg")
    response = _text(root, "Response")
    trans_stat = _text(root, "Extra/TRANS_STAT").upper()
    no_record = response not in ("Approved", "Declined") and any(
        marker in err_msg.casefold() for marker in NO_RECORD_MARKERS
    )
    try:
        currency = currency_from_code(_text(root, "Extra/CURRENCY"))
    except KeyError:
        currency = ""
    return OrderStatus(
        found=bool(trans_stat) or response in ("Approved", "Declined"),
        no_record=no_record,
        trans_stat=trans_stat,
        approved=_approved(root),
        amount=_minor_amount(_text(root, "Extra/ORIG_TRANS_AMT"), currency),
        captured=_minor_amount(_text(root, "Extra/CAPTURE_AMT"), currency),
        refunded=_minor_amount(_text(root, "Extra/REFUND_AMT"), currency),
        currency=currency,
        installments=_text(root, "Extra/INSTALLMENT"),
        trans_id=_text(root, "TransId"),
        auth_code=_text(root, "AuthCode"),
        proc_return_code=_text(root, "ProcReturnCode"),
        err_msg=err_msg,
        response=response,
    )


def _minor_amount(text: str, currency: str) -> Decimal:
    # The inquiry gives amounts as integer minor units (kuruş, cents): "8000" is 80.00.
    if not text:
        return Decimal("0.00")
    if not text.isdigit():
        raise NestPayUnreachable(f"the NestPay API sent the amount {text!r}")
    exponent = minor_unit_exponent(currency) if currency else 2
    return Decimal(int(text)).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def _amount_text(amount: Decimal, currency: str) -> str:
    # "123.45". Refused, not rounded, when it has more decimals than the currency: money to pay
    # back is never guessed.
    try:
        rounded = round_money(amount, currency)
    except (InvalidOperation, TypeError):
        raise ValueError(f"{amount!r} is not an amount") from None
    if rounded != amount or rounded <= 0:
        raise ValueError(f"{amount} {currency} is not a positive, rounded amount")
    return f"{rounded:f}"


def _currency_number(currency: str) -> str:
    try:
        return currency_code(currency)
    except KeyError:
        raise ValueError(f"NestPay does not take {currency!r}") from None
