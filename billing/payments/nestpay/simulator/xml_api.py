"""The XML API (`/fim/api`): `CC5Request` in, `CC5Response` out. Credit (refund), Void, the
order inquiry (`<Extra><ORDERSTATUS>QUERY</ORDERSTATUS></Extra>`) and the order history
(`<Extra><ORDERHISTORY>QUERY</ORDERHISTORY></Extra>`), in the shapes real banks answer."""

from __future__ import annotations

import datetime as dt
import hmac
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

from billing.payments.nestpay.simulator.state import Bank, Credit, Order, bank_time

# TRANS_STAT of the sale in the inquiries: C completed (captured: a sale is authorized and
# captured at once), V voided, D declined. A credit is C when done, D when refused.
SALE_STAT = {"approved": "C", "declined": "D"}
TERMINAL_ID = "00655020"
MERCHANT_ID = "655000200"
# The order inquiry's summary string, in the order the banks write it.
ORDERSTATUS_KEYS = ("ORD_ID", "CHARGE_TYPE_CD", "ORIG_TRANS_AMT", "CAPTURE_AMT", "TRANS_STAT",
                    "AUTH_DTTM", "CAPTURE_DTTM", "AUTH_CODE", "TRANS_ID")  # fmt: skip


# The elements of a CC5Response, in the order the banks send them.
ANSWER_ELEMENTS = ("OrderId", "GroupId", "Response", "AuthCode", "HostRefNum", "ProcReturnCode",
                   "TransId", "ErrMsg")  # fmt: skip


def _answer(response: str, code: str, message: str = "", **values: str) -> dict[str, str]:
    """A Credit's or a Void's answer: every element, empty when it says nothing."""
    answer = dict.fromkeys(ANSWER_ELEMENTS, "")
    answer.update(Response=response, ProcReturnCode=code, ErrMsg=message, **values)
    answer["GroupId"] = answer["OrderId"]  # one order, one group
    return answer


def _error(message: str, code: str = "", **values: str) -> dict[str, str]:
    # A refused Credit or Void: Response "Error", ProcReturnCode 99, the reason in ErrMsg and a
    # CORE-nnnn code in Extra/ERRORCODE, as the banks' test environments answer. (CORE-2008 "no
    # sale to cancel" and CORE-2508 "cannot be refunded" are the banks'; the texts are ours.)
    extra = {"TRXDATE": _trx_date()}
    if code:
        extra.update(ERRORCODE=code, NUMCODE="99" + code[-4:])
    return {**_answer("Error", "99", message, **values), "Extra": extra}  # type: ignore[dict-item]


def _trx_date() -> str:
    return dt.datetime.now().strftime("%Y%m%d %H:%M:%S")


def _text(root: ET.Element, path: str) -> str:
    node = root.find(path)
    return (node.text or "").strip() if node is not None else ""


def handle(bank: Bank, body: bytes) -> bytes:
    try:
        root = ET.fromstring(body)  # noqa: S314 — the simulator only ever serves tests and demos
    except ET.ParseError:
        return render(_error("Malformed XML"))
    if root.tag != "CC5Request":
        return render(_error("Expected CC5Request"))
    merchant = bank.merchant(_text(root, "ClientId"))
    oid = _text(root, "OrderId")
    if merchant is None or not merchant.api_user:
        return render(_error("Invalid credentials", OrderId=oid))
    user_ok = hmac.compare_digest(_text(root, "Name"), merchant.api_user)
    password_ok = hmac.compare_digest(_text(root, "Password"), merchant.api_password)
    if not (user_ok and password_ok):
        return render(_error("Invalid credentials", OrderId=oid))
    kind = _text(root, "Type")
    with bank.lock:
        order = bank.orders.get(oid)
        if order is not None and order.client_id != merchant.client_id:
            order = None  # another merchant's order does not exist for this one
        if _text(root, "Extra/ORDERSTATUS").upper() == "QUERY":
            result = _inquiry(oid, order)
        elif _text(root, "Extra/ORDERHISTORY").upper() == "QUERY":
            result = _history(oid, order)
        elif kind == "Credit":
            result = _credit(bank, oid, order, _text(root, "Total"), _text(root, "Currency"))
        elif kind == "Void":
            result = _void(bank, oid, order)
        else:
            result = _error(f"Unsupported Type {kind!r}", OrderId=oid)
    return render(result)


def _inquiry(oid: str, order: Order | None) -> dict:
    """ORDERSTATUS: the order's latest transaction. That is the sale until a Credit is asked
    for; then the latest credit (CHARGE_TYPE_CD C), as real banks answer after a refund."""
    if order is None:
        empty = "\t".join(f"{key}:" for key in ORDERSTATUS_KEYS[:-1])
        return {
            "ErrMsg": f"No record found for {oid}",
            "ProcReturnCode": "99",
            "Response": "Declined",
            "OrderId": "",
            "TransId": "",
            "Extra": {"NUMCODE": "0", "ORDERSTATUS": empty},
        }
    if order.credits:
        latest = order.credits[-1]
        row = {
            "CHARGE_TYPE_CD": "C",
            "ORIG_TRANS_AMT": _minor(latest.amount),
            "CAPTURE_AMT": _minor(latest.amount),
            "TRANS_STAT": "C" if latest.approved else "D",
            "AUTH_DTTM": latest.at,
            "CAPTURE_DTTM": latest.at,
            "AUTH_CODE": latest.auth_code,
            "TRANS_ID": latest.trans_id,
        }
        host_ref_num, proc_return_code = latest.host_ref_num, latest.proc_return_code
    else:
        approved = order.status == "approved"
        row = {
            "CHARGE_TYPE_CD": "S",
            "ORIG_TRANS_AMT": _minor(order.amount),
            "CAPTURE_AMT": _minor(order.amount) if approved else "",
            "TRANS_STAT": "V" if order.voided else SALE_STAT[order.status],
            "AUTH_DTTM": order.paid_at,
            "CAPTURE_DTTM": order.paid_at if approved else "",
            "AUTH_CODE": order.auth_code,
            "TRANS_ID": order.trans_id,
        }
        host_ref_num, proc_return_code = order.host_ref_num, order.proc_return_code
    row = {"ORD_ID": oid, **row}
    extra = {
        **row,
        "CAVV_3D": "",
        "ECI_3D": "",
        "HOSTDATE": dt.datetime.now().strftime("%m%d-%H%M%S"),
        "HOST_REF_NUM": host_ref_num,
        "MDSTATUS": "",
        "NUMCODE": "0",
        "ORDERSTATUS": "\t".join(f"{key}:{row[key]}" for key in ORDERSTATUS_KEYS),
        "PAN": order.pan,
        "PROC_RET_CD": proc_return_code,
        "SETTLEID": "",
        "XID_3D": "",
    }
    if order.voided and not order.credits:
        extra["VOID_DTTM"] = order.voided_at
    return {
        "ErrMsg": f"Record(s) found for {oid}",
        "ProcReturnCode": "00",
        "Response": "Approved",
        "OrderId": oid,
        "TransId": row["TRANS_ID"],
        "Extra": dict(sorted(extra.items())),
    }


def _history(oid: str, order: Order | None) -> dict:
    """ORDERHISTORY: every transaction of the order, newest first (TRX1 is the latest)."""
    if order is None:
        return {
            "ErrMsg": f"No record found for {oid}",
            "ProcReturnCode": "05",
            "Response": "Declined",
            "OrderId": oid,
            "Extra": {"NUMCODE": "0", "TRXCOUNT": "0"},
        }
    approved = order.status == "approved"
    sale = [
        "S",
        "V" if order.voided else SALE_STAT[order.status],
        _minor(order.amount),
        _minor(order.amount) if approved else "",
        order.paid_at,
        order.paid_at if approved else "",
        order.voided_at,
        order.host_ref_num,
        order.auth_code,
        order.proc_return_code,
        order.trans_id,
    ]
    rows = [sale] + [
        [
            "C",
            "C" if credit.approved else "D",
            _minor(credit.amount),
            _minor(credit.amount),
            credit.at,
            credit.at,
            "",
            credit.host_ref_num,
            credit.auth_code,
            credit.proc_return_code,
            credit.trans_id,
        ]
        for credit in order.credits
    ]
    extra = {"TERMINALID": TERMINAL_ID, "MERCHANTID": MERCHANT_ID, "NUMCODE": "0"}
    for number, row in enumerate(reversed(rows), start=1):
        extra[f"TRX{number}"] = "\t".join(row)
    extra["TRXCOUNT"] = str(len(rows))
    return {
        "ErrMsg": "",
        "ProcReturnCode": "00",
        "Response": "Approved",
        "OrderId": oid,
        "Extra": extra,
    }


def _credit(bank: Bank, oid: str, order: Order | None, total: str, currency: str) -> dict[str, str]:
    if order is None:
        return _error("No approved sale for this order", "CORE-2508", OrderId=oid)
    try:
        amount = Decimal(total) if total else order.refundable  # no Total: the rest
    except InvalidOperation:
        return _error("Total is not a number", "CORE-2001", OrderId=oid)
    if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:
        return _error("Total must be positive with at most two decimals", "CORE-2001", OrderId=oid)
    trans_id, auth_code = bank.next_ids()
    reason = _credit_refused(order, amount, currency)
    if reason:
        # The bank records a refused credit too: it shows in ORDERHISTORY as C / D, code 99.
        order.credits.append(Credit(amount, approved=False, proc_return_code="99",
                                    trans_id=trans_id))  # fmt: skip
        return _error(reason, "CORE-2508", OrderId=oid, TransId=trans_id)
    host_ref_num = bank.next_host_ref_num()
    order.credits.append(Credit(amount, approved=True, proc_return_code="00", trans_id=trans_id,
                                auth_code=auth_code, host_ref_num=host_ref_num))  # fmt: skip
    return _approved(oid, trans_id, auth_code, host_ref_num)


def _credit_refused(order: Order, amount: Decimal, currency: str) -> str:
    if order.status != "approved":
        return "No approved sale for this order"
    if order.voided:
        return "The sale was voided"
    if currency and currency != order.currency:
        return "Currency differs from the sale"
    if amount > order.refundable:
        return "Refund above the refundable amount"
    return ""


def _approved(oid: str, trans_id: str, auth_code: str, host_ref_num: str) -> dict[str, str]:
    extra = {"SETTLEID": "", "TRXDATE": _trx_date(), "ERRORCODE": "", "TERMINALID": TERMINAL_ID,
             "MERCHANTID": MERCHANT_ID, "NUMCODE": "00"}  # fmt: skip
    return {
        **_answer("Approved", "00", OrderId=oid, TransId=trans_id, AuthCode=auth_code),
        "HostRefNum": host_ref_num,
        "Extra": extra,  # type: ignore[dict-item]
    }


def _void(bank: Bank, oid: str, order: Order | None) -> dict[str, str]:
    if order is None or order.status != "approved":
        return _error("No approved sale for this order", "CORE-2008", OrderId=oid)
    if order.voided:
        return _error("Already voided", "CORE-2008", OrderId=oid)
    if order.refunded:
        return _error("Refunded sales cannot be voided", "CORE-2008", OrderId=oid)
    if order.paid_on != dt.date.today():  # before the day's settlement only
        return _error("Only same-day sales can be voided", "CORE-2008", OrderId=oid)
    order.voided_at = bank_time()
    trans_id, auth_code = bank.next_ids()
    return _approved(oid, trans_id, auth_code, bank.next_host_ref_num())


def _minor(amount: Decimal) -> str:
    # The inquiry gives amounts in minor units (kuruş), as the banks' answers do.
    return str(int(amount * 100))


def render(values: dict) -> bytes:
    """The answer's elements in the banks' order: all of them for a Credit or a Void (see
    `_answer`), only those given for the inquiries, which send fewer."""
    root = ET.Element("CC5Response")
    for name in ANSWER_ELEMENTS:
        if name in values:
            ET.SubElement(root, name).text = str(values[name])
    extra = ET.SubElement(root, "Extra")
    for name, value in dict(values.get("Extra") or {}).items():
        ET.SubElement(extra, name).text = value
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode("utf-8")
