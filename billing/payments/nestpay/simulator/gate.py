"""The 3-D gate: the signed form from the merchant, the test-card page, and the back-post."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from html import escape
from urllib.parse import urlsplit

from billing.payments.nestpay.codes import CURRENCIES_BY_CODE
from billing.payments.nestpay.hashing import nestpay_hash, nestpay_hash_valid
from billing.payments.nestpay.simulator.cards import TEST_CARDS, inquiry_pan, masked, outcome_for
from billing.payments.nestpay.simulator.state import Bank, Order

REQUIRED_FIELDS = (
    "clientid", "oid", "amount", "currency", "okUrl", "failUrl",
    "rnd", "storetype", "hashAlgorithm", "hash", "lang",
)  # fmt: skip
STORE_TYPES = frozenset({"3d_pay", "3d_pay_hosting"})
CARD_FIELDS = frozenset({"pan", "cardnumber", "cv2", "ecom_payment_card_expdate_month",
                         "ecom_payment_card_expdate_year", "token"})  # fmt: skip


class GateError(Exception):
    """The gate refuses the form outright (answered with 400, nothing is recorded)."""


def _field_problem(fields: dict[str, str]) -> str | None:
    missing = [name for name in REQUIRED_FIELDS if not fields.get(name, "").strip()]
    if missing:
        return f"Missing fields: {', '.join(missing)}"
    if fields["hashAlgorithm"] != "ver3":
        return "hashAlgorithm must be ver3"
    if fields["storetype"].lower() not in STORE_TYPES:
        return "storetype must be 3d_pay or 3d_pay_hosting"
    if fields["currency"] not in CURRENCIES_BY_CODE:
        return "Unknown currency code"
    try:
        amount = Decimal(fields["amount"])
    except InvalidOperation:
        return "amount is not a number"
    if amount <= 0 or amount.as_tuple().exponent < -2:
        return "amount must be positive with at most two decimals"
    installments = fields.get("taksit", "").strip()
    if installments and not (installments.isdigit() and 2 <= int(installments) <= 12):
        return "taksit must be empty or 2 to 12"
    for name in ("okUrl", "failUrl"):
        if urlsplit(fields[name]).scheme not in {"http", "https"}:
            return f"{name} must be an http(s) URL"
    return None


def accept_form(bank: Bank, fields: dict[str, str]) -> str:
    """Checks the merchant's form; returns the session token of its test-card page."""
    problem = _field_problem(fields)
    if problem:
        raise GateError(problem)
    merchant = bank.merchant(fields["clientid"])
    if merchant is None:
        raise GateError("Unknown clientid")
    if not nestpay_hash_valid(fields, merchant.store_key):
        raise GateError("Hash mismatch")
    return bank.open_session(merchant, fields)


def card_page(token: str, fields: dict[str, str]) -> str:
    buttons = "".join(
        f'<li><button type="submit" name="pan" value="{number}">{escape(label)} '
        f"({number})</button></li>"
        for number, (label, _outcome) in TEST_CARDS.items()
    )
    return _page(
        "NestPay simulator: 3-D Secure",
        f"<p>Order {escape(fields['oid'])}: {escape(fields['amount'])} "
        f"({escape(fields['currency'])}), installments: {escape(fields.get('taksit') or '-')}</p>"
        f'<form method="post" action="/fim/_pay"><input type="hidden" name="token" '
        f'value="{escape(token)}"><label>Card number <input name="cardnumber" '
        f'autocomplete="off"></label> <button type="submit">Pay</button>'
        f"<p>Test cards:</p><ul>{buttons}</ul></form>",
    )


def pay(bank: Bank, token: str, card_number: str) -> tuple[str, dict[str, str]]:
    """The cardholder submitted a card: records the order and returns (URL, back-post fields)."""
    session = bank.take_session(token)
    if session is None:
        raise GateError("Unknown or used 3-D session")
    fields = session.fields
    outcome = outcome_for(card_number)
    trans_id, auth_code = bank.next_ids()
    with bank.lock:
        existing = bank.orders.get(fields["oid"])
        duplicate = existing is not None and existing.status == "approved"
        if not duplicate:
            bank.orders[fields["oid"]] = Order(
                oid=fields["oid"],
                client_id=session.merchant.client_id,
                amount=Decimal(fields["amount"]),
                currency=fields["currency"],
                status="approved" if outcome.approved else "declined",
                proc_return_code=outcome.proc_return_code,
                trans_id=trans_id,
                auth_code=auth_code if outcome.approved else "",
                installments=fields.get("taksit", ""),
                pan=inquiry_pan(card_number),
                host_ref_num=bank.next_host_ref_num() if outcome.approved else "",
            )
    answer = {
        name: value
        for name, value in fields.items()
        if name.lower() not in {"hash", "encoding"} and name.lower() not in CARD_FIELDS
    }
    if duplicate:  # the bank never charges one order id twice
        answer.update(mdStatus=outcome.md_status, ProcReturnCode="99", Response="Error",
                      ErrMsg="Duplicate order id", AuthCode="", TransId="")  # fmt: skip
    else:
        answer.update(
            mdStatus=outcome.md_status,
            ProcReturnCode=outcome.proc_return_code,
            Response=outcome.response,
            AuthCode=auth_code if outcome.approved else "",
            TransId=trans_id,
            HostRefNum=trans_id[-12:],
            ErrMsg=outcome.err_msg,
        )
        if outcome.md_error_msg:
            answer["mdErrorMsg"] = outcome.md_error_msg
    answer["maskedCreditCard"] = masked(card_number)
    answer["HASH"] = nestpay_hash(answer, session.merchant.store_key)
    approved = outcome.approved and not duplicate
    return (fields["okUrl"] if approved else fields["failUrl"]), answer


def back_post_page(url: str, fields: dict[str, str]) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )
    return _page(
        "NestPay simulator: returning to the shop",
        f'<form id="back" method="post" action="{escape(url)}">{inputs}'
        '<noscript><button type="submit">Continue</button></noscript></form>'
        "<script>document.getElementById('back').submit();</script>",
    )


def error_page(message: str) -> str:
    return _page("NestPay simulator: error", f"<p>{escape(message)}</p>")


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
