"""The XML API (`/fim/api`): `CC5Request` in, `CC5Response` out. Credit (refund), Void, and the
order inquiry (`<Extra><ORDERSTATUS>QUERY</ORDERSTATUS></Extra>`)."""

from __future__ import annotations

import datetime as dt
import hmac
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

from billing.payments.nestpay.simulator.state import Bank, Order

# The inquiry's TRANS_STAT: C completed (sale), V voided, D declined.
TRANS_STAT = {"approved": "C", "declined": "D"}


def _answer(response: str, code: str, message: str = "", **values: str) -> dict[str, str]:
    return {"Response": response, "ProcReturnCode": code, "ErrMsg": message, **values}


def _error(message: str, **values: str) -> dict[str, str]:
    return _answer("Error", "99", message, **values)


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
        elif kind == "Credit":
            result = _credit(bank, oid, order, _text(root, "Total"), _text(root, "Currency"))
        elif kind == "Void":
            result = _void(bank, oid, order)
        else:
            result = _error(f"Unsupported Type {kind!r}", OrderId=oid)
    return render(result)


def _inquiry(oid: str, order: Order | None) -> dict[str, str]:
    if order is None:
        return _error("No record found", OrderId=oid)
    trans_stat = "V" if order.voided else TRANS_STAT[order.status]
    extra = {
        "ORDERSTATUS": f"ORD_ID:{oid}\tTRANS_STAT:{trans_stat}",
        "TRANS_STAT": trans_stat,
        "ORIG_TRANS_AMT": _minor(order.amount),
        "CAPTURE_AMT": _minor(order.amount if order.status == "approved" else Decimal(0)),
        "REFUND_AMT": _minor(order.refunded),  # simulator's own, for the tests' convenience
        "CURRENCY": order.currency,
        "INSTALLMENT": order.installments,
    }
    response = "Approved" if order.status == "approved" else "Declined"
    return {
        **_answer(response, order.proc_return_code, "", OrderId=oid, TransId=order.trans_id),
        "AuthCode": order.auth_code,
        "Extra": extra,  # type: ignore[dict-item] — rendered as child elements
    }


def _credit(bank: Bank, oid: str, order: Order | None, total: str, currency: str) -> dict[str, str]:
    if order is None or order.status != "approved":
        return _error("No approved sale for this order", OrderId=oid)
    if order.voided:
        return _error("The sale was voided", OrderId=oid)
    try:
        amount = Decimal(total) if total else order.refundable  # no Total: the rest
    except InvalidOperation:
        return _error("Total is not a number", OrderId=oid)
    if amount <= 0 or amount.as_tuple().exponent < -2:
        return _error("Total must be positive with at most two decimals", OrderId=oid)
    if currency and currency != order.currency:
        return _error("Currency differs from the sale", OrderId=oid)
    if amount > order.refundable:
        return _error("Refund above the refundable amount", OrderId=oid)
    order.refunded += amount
    trans_id, auth_code = bank.next_ids()
    return _answer("Approved", "00", OrderId=oid, TransId=trans_id, AuthCode=auth_code)


def _void(bank: Bank, oid: str, order: Order | None) -> dict[str, str]:
    if order is None or order.status != "approved":
        return _error("No approved sale for this order", OrderId=oid)
    if order.voided:
        return _error("Already voided", OrderId=oid)
    if order.refunded:
        return _error("Refunded sales cannot be voided", OrderId=oid)
    if order.paid_on != dt.date.today():  # before the day's settlement only
        return _error("Only same-day sales can be voided", OrderId=oid)
    order.voided = True
    trans_id, auth_code = bank.next_ids()
    return _answer("Approved", "00", OrderId=oid, TransId=trans_id, AuthCode=auth_code)


def _minor(amount: Decimal) -> str:
    # The inquiry gives amounts in minor units (kuruş), as the banks' answers do.
    return str(int(amount * 100))


def render(values: dict) -> bytes:
    root = ET.Element("CC5Response")
    values = {"GroupId": values.get("OrderId", ""), **values}  # one order, one group
    for name in ("OrderId", "GroupId", "Response", "AuthCode", "HostRefNum",
                 "ProcReturnCode", "TransId", "ErrMsg"):  # fmt: skip
        ET.SubElement(root, name).text = str(values.get(name, ""))
    extra = ET.SubElement(root, "Extra")
    for name, value in dict(values.get("Extra") or {}).items():
        ET.SubElement(extra, name).text = value
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode("utf-8")
