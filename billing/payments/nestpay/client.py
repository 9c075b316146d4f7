"""NestPay's XML API (`/fim/api`), server to server: refunds (`Credit`), voids (`Void`), the
order inquiry (`<Extra><ORDERSTATUS>QUERY</ORDERSTATUS></Extra>`) and the order history
(`<Extra><ORDERHISTORY>QUERY</ORDERHISTORY></Extra>`).

The inquiries are read in the shapes real NestPay banks send, as recorded from the banks' test
environments (e.g. in the open-source mewebstudio/pos library's test data): the sale's state is in
Extra (TRANS_STAT, PROC_RET_CD, ORIG_TRANS_AMT in minor units, …), the top-level Response only
says whether the query worked, and an unknown order is "No record found for <oid>".

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
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

from billing.payments.nestpay.codes import (
    APPROVED_CODE,
    APPROVED_RESPONSE,
    currency_code,
)
from core.money import minor_unit_exponent, round_money

logger = logging.getLogger(__name__)

# A CC5Response is a few hundred bytes; anything far larger is not an answer to read.
MAX_ANSWER_BYTES = 256 * 1024
# The bank's words for "this order id does not exist here" (English and Turkish banks' texts).
NO_RECORD_MARKERS = ("no record found", "kayıt bulunamadı")
# CHARGE_TYPE_CD in the inquiries: S sale, C credit (refund).
SALE = "S"
CREDIT = "C"
# TRANS_STAT: A authorized (not yet settled), C completed / captured; V and CNCL cancelled.
SUCCEEDED_STATS = frozenset({"A", "C"})
VOIDED_STATS = frozenset({"V", "CNCL"})
# One ORDERHISTORY row (TRXn), tab-separated, in this order.
HISTORY_COLUMNS = 11


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
    host_ref_num: str = ""
    error_code: str = ""  # Extra/ERRORCODE, "CORE-2508" …: for logs and staff


@dataclass(frozen=True)
class OrderStatus:
    """What the order inquiry says about the sale of one order id.

    `found` is True when the bank answered with the order. `no_record` is True only when the bank
    said it has no such order: an abandoned 3-D page, for instance. When both are False the inquiry
    itself failed (wrong API credentials, say; see `err_msg`) and nothing is known about the order.

    Everything else describes the *sale*: the top-level `response` only says whether the query
    worked ("Approved" even for a declined sale). Amounts are the bank's minor units read in the
    currency the caller named, since the inquiry carries no currency.
    """

    found: bool
    no_record: bool
    trans_stat: str  # the sale's: A authorized, C captured, V voided, D declined, …; "" unknown
    approved: bool  # the sale went through: trans_stat A or C, and its PROC_RET_CD "00"
    amount: Decimal  # the sale's amount (ORIG_TRANS_AMT); 0 when not found
    captured: Decimal  # CAPTURE_AMT; 0 when none
    trans_id: str
    auth_code: str
    host_ref_num: str
    proc_return_code: str  # the sale's own (PROC_RET_CD: "00", "51"); not found: the query's
    auth_time: str  # as the bank writes it, "2024-01-03 21:37:57.259"; "" when absent
    capture_time: str
    void_time: str
    err_msg: str  # the query's ErrMsg ("Record(s) found for …", "No record found for …")
    response: str  # the query's Response, not the sale's

    @property
    def voided(self) -> bool:
        # CNCL is the banks' other word for a cancelled transaction.
        return self.trans_stat in VOIDED_STATS


@dataclass(frozen=True)
class BankTransaction:
    """One row of the order history: the sale (S) or one credit (C), refused ones included."""

    charge_type: str  # S sale, C credit (refund)
    trans_stat: str  # C completed, A authorized, V voided, D declined, …
    amount: Decimal  # the original amount of the transaction
    captured: Decimal  # 0 when none
    proc_return_code: str
    trans_id: str
    auth_code: str
    host_ref_num: str
    auth_time: str
    capture_time: str
    void_time: str

    @property
    def succeeded(self) -> bool:
        return self.trans_stat in SUCCEEDED_STATS and self.proc_return_code == APPROVED_CODE


@dataclass(frozen=True)
class OrderHistory:
    """The order history (ORDERHISTORY query): every transaction of one order id, oldest first.

    `found` / `no_record` as in `OrderStatus`; when neither is True the query failed and
    `transactions` is empty: `refunded` is then 0 without meaning anything, check `found`.
    """

    found: bool
    no_record: bool
    transactions: list[BankTransaction]
    err_msg: str
    response: str

    @property
    def sale(self) -> BankTransaction | None:
        """The order's sale: the one the bank approved (voided since or not) — an order id may
        carry an earlier declined try — else the newest."""
        sales = [row for row in self.transactions if row.charge_type == SALE]
        taken = [
            row
            for row in sales
            if row.proc_return_code == APPROVED_CODE
            and (row.trans_stat in SUCCEEDED_STATS or row.trans_stat in VOIDED_STATS)
        ]
        return (taken or sales or [None])[-1]

    @property
    def sale_voided(self) -> bool:
        sale = self.sale
        return sale is not None and sale.trans_stat in VOIDED_STATS

    @property
    def refunded(self) -> Decimal:
        """The credits the bank carried out (completed or authorized, code 00); refused ones do
        not count. Counting an authorized one too errs on the side of never paying twice."""
        credits = [
            row.amount
            for row in self.transactions
            if row.charge_type == CREDIT and row.trans_stat in SUCCEEDED_STATS
            and row.proc_return_code == APPROVED_CODE
        ]  # fmt: skip
        return sum(credits, Decimal(0))


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

    def inquiry(self, oid: str, currency: str = "TRY") -> OrderStatus:
        """Ask the bank what became of the sale `oid` (ORDERSTATUS query). The answer carries
        no currency: its minor-unit amounts are read in `currency`, the order's.

        The banks' ORDERSTATUS describes the order's *latest* transaction: after a Credit that
        is the credit (CHARGE_TYPE_CD C), no longer the sale. Then the order history is asked
        too, and the sale's row answers, so `OrderStatus` always speaks of the sale."""
        root = self._send({"OrderId": oid, "Extra": {"ORDERSTATUS": "QUERY"}}, oid, "Inquiry")
        status = _order_status(root, currency)
        if status.found and _order_field(root, "CHARGE_TYPE_CD") == CREDIT:
            sale = self.history(oid, currency).sale
            if sale is None:
                raise NestPayUnreachable("the NestPay API reported credits but no sale")
            status = _sale_status(status, sale)
        return status

    def history(self, oid: str, currency: str) -> OrderHistory:
        """Every transaction of `oid` (ORDERHISTORY query): the sale and each credit, refused
        ones too. Amounts read in `currency`, as for `inquiry`."""
        root = self._send({"OrderId": oid, "Extra": {"ORDERHISTORY": "QUERY"}}, oid, "History")
        return _order_history(root, currency)

    def _send(
        self, values: dict[str, str | dict[str, str]], oid: str, kind: str = ""
    ) -> ET.Element:
        body = self._request_xml(values)
        request = urllib.request.Request(  # noqa: S310 — scheme checked in __init__
            self.api_url,
            data=body,
            method="POST",
            headers={"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml"},
        )
        kind = kind or str(values.get("Type"))
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
        host_ref_num=_text(root, "HostRefNum"),
        error_code=_text(root, "Extra/ERRORCODE") or _text(root, "ERRORCODE"),
    )


def _no_record(err_msg: str) -> bool:
    # Whatever Response says: banks answer "Declined" (ORDERSTATUS, code 99; ORDERHISTORY,
    # code 05) with "No record found for <oid>".
    return any(marker in err_msg.casefold() for marker in NO_RECORD_MARKERS)


def _order_field(root: ET.Element, name: str) -> str:
    """An Extra field of the inquiry; when its element is missing, the same value from the
    ORDERSTATUS summary ("ORD_ID:…\tCHARGE_TYPE_CD:S\tTRANS_STAT:C…")."""
    node = root.find(f"Extra/{name}")
    if node is not None:
        return (node.text or "").strip()
    for pair in _text(root, "Extra/ORDERSTATUS").split("\t"):
        key, _colon, value = pair.partition(":")  # times hold colons too: split at the first
        if key.strip() == name:
            return value.strip()
    return ""


def _order_status(root: ET.Element, currency: str) -> OrderStatus:
    err_msg = _text(root, "ErrMsg")
    no_record = _no_record(err_msg)
    trans_stat = _order_field(root, "TRANS_STAT").upper()
    found = not no_record and bool(_order_field(root, "ORD_ID") or trans_stat)
    if not found:
        trans_stat = ""
    proc_node = root.find("Extra/PROC_RET_CD")
    proc_return_code = (proc_node.text or "").strip() if proc_node is not None else ""
    # The summary string has no PROC_RET_CD: when the element is missing, TRANS_STAT alone
    # decides (A and C are the bank's own "went through").
    code_ok = proc_return_code == APPROVED_CODE if proc_node is not None else True

    def field(name: str) -> str:
        # An unknown order's answer still lists ORDERSTATUS with empty values: read nothing.
        return _order_field(root, name) if found else ""

    return OrderStatus(
        found=found,
        no_record=no_record,
        trans_stat=trans_stat,
        approved=found and trans_stat in SUCCEEDED_STATS and code_ok,
        amount=_minor_amount(field("ORIG_TRANS_AMT"), currency),
        captured=_minor_amount(field("CAPTURE_AMT"), currency),
        trans_id=field("TRANS_ID") or (_text(root, "TransId") if found else ""),
        auth_code=field("AUTH_CODE"),
        host_ref_num=field("HOST_REF_NUM"),
        proc_return_code=proc_return_code if found else _text(root, "ProcReturnCode"),
        auth_time=field("AUTH_DTTM"),
        capture_time=field("CAPTURE_DTTM"),
        void_time=field("VOID_DTTM"),
        err_msg=err_msg,
        response=_text(root, "Response"),
    )


def _sale_status(status: OrderStatus, sale: BankTransaction) -> OrderStatus:
    """The inquiry's answer, told about the sale (from its history row) instead of a credit."""
    return replace(
        status,
        trans_stat=sale.trans_stat,
        approved=sale.trans_stat in SUCCEEDED_STATS and sale.proc_return_code == APPROVED_CODE,
        amount=sale.amount,
        captured=sale.captured,
        trans_id=sale.trans_id,
        auth_code=sale.auth_code,
        host_ref_num=sale.host_ref_num,
        proc_return_code=sale.proc_return_code,
        auth_time=sale.auth_time,
        capture_time=sale.capture_time,
        void_time=sale.void_time,
    )


def _order_history(root: ET.Element, currency: str) -> OrderHistory:
    err_msg = _text(root, "ErrMsg")
    response = _text(root, "Response")
    no_record = _no_record(err_msg)
    count_text = _text(root, "Extra/TRXCOUNT")
    if no_record or response != APPROVED_RESPONSE or not count_text:
        # No such order, or the query itself failed (credentials, …): nothing is known.
        return OrderHistory(False, no_record, [], err_msg, response)
    if not count_text.isdigit():
        raise NestPayUnreachable(f"the NestPay API sent TRXCOUNT {count_text!r}")
    count = int(count_text)
    rows = [_history_row(root, number, currency) for number in range(1, count + 1)]
    if root.find(f"Extra/TRX{count + 1}") is not None:
        raise NestPayUnreachable("the NestPay API sent more TRX rows than TRXCOUNT")
    # The banks list the newest first (TRX1); oldest first reads like the order's story.
    return OrderHistory(bool(rows), False, rows[::-1], err_msg, response)


def _history_row(root: ET.Element, number: int, currency: str) -> BankTransaction:
    node = root.find(f"Extra/TRX{number}")
    if node is None:
        raise NestPayUnreachable(f"the NestPay API's history lacks TRX{number}")
    # Not stripped as a whole: empty leading or trailing columns are tabs too.
    cells = [cell.strip() for cell in (node.text or "").split("\t")]
    if len(cells) != HISTORY_COLUMNS or cells[0] not in (SALE, CREDIT) or not cells[1]:
        # A changed layout would put amounts in the wrong columns: unknown, not guessed.
        raise NestPayUnreachable(f"the NestPay API sent an unreadable TRX{number}")
    charge_type, trans_stat, amount, captured, auth_time, capture_time, void_time = cells[:7]
    host_ref_num, auth_code, proc_return_code, trans_id = cells[7:]
    if not amount:
        raise NestPayUnreachable(f"the NestPay API sent TRX{number} without an amount")
    return BankTransaction(
        charge_type=charge_type,
        trans_stat=trans_stat.upper(),
        amount=_minor_amount(amount, currency),
        captured=_minor_amount(captured, currency),
        proc_return_code=proc_return_code,
        trans_id=trans_id,
        auth_code=auth_code,
        host_ref_num=host_ref_num,
        auth_time=auth_time,
        capture_time=capture_time,
        void_time=void_time,
    )


def _minor_amount(text: str, currency: str) -> Decimal:
    # The inquiry gives amounts as integer minor units (kuruş, cents): "8000" is 80.00.
    if not text:
        return Decimal("0.00")
    if not text.isdigit():
        raise NestPayUnreachable(f"the NestPay API sent the amount {text!r}")
    exponent = minor_unit_exponent(currency)
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
