"""The 3-D gate: the signed form from the merchant, the test-card page, and the back-post."""

from __future__ import annotations

import datetime as dt
import re
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
# What the cardholder types (lower-cased names). In 3D Pay the browser posts them to the gate beside
# the merchant's signed fields, but the merchant never sees the card, so it cannot sign them: the
# gate checks the hash without them, and they are never echoed in the back-post.
CARD_FIELDS = frozenset({"pan", "cardnumber", "cv2", "ecom_payment_card_expdate_month",
                         "ecom_payment_card_expdate_year", "cardtype", "token"})  # fmt: skip
_DIGITS = re.compile(r"[0-9]+")


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


def signed_fields(fields: dict[str, str]) -> dict[str, str]:
    """The posted fields without the card's: what the merchant signed."""
    return {name: value for name, value in fields.items() if name.lower() not in CARD_FIELDS}


def _posted_card(fields: dict[str, str]) -> str:
    """The card a 3D Pay form carries, checked as the gate does; returns its number."""
    card = {name.lower(): value.strip() for name, value in fields.items()}
    number = "".join(card.get("pan", "").split())  # typed in groups of four, perhaps
    if not number:
        raise GateError("Card fields missing for 3D Pay")
    if not (_DIGITS.fullmatch(number) and 13 <= len(number) <= 19):
        raise GateError("Card number (pan) must be 13 to 19 digits")
    month = card.get("ecom_payment_card_expdate_month", "")
    if not (_DIGITS.fullmatch(month) and 1 <= int(month) <= 12):
        raise GateError("Expiry month (Ecom_Payment_Card_ExpDate_Month) must be 1 to 12")
    year = card.get("ecom_payment_card_expdate_year", "")
    if not (_DIGITS.fullmatch(year) and len(year) in (2, 4)):
        raise GateError("Expiry year (Ecom_Payment_Card_ExpDate_Year) must have 2 or 4 digits")
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    today = dt.date.today()
    if (full_year, int(month)) < (today.year, today.month):  # valid through its last month
        raise GateError("The card has expired")
    if not (_DIGITS.fullmatch(card.get("cv2", "")) and len(card["cv2"]) in (3, 4)):
        raise GateError("Security code (cv2) must be 3 or 4 digits")
    return number


def accept_form(bank: Bank, fields: dict[str, str]) -> str:
    """Checks the merchant's form (and, in 3D Pay, the card posted with it); returns the session
    token of the page that follows: the test-card page (3D Pay Hosting) or the 3-D Secure
    password page (3D Pay)."""
    problem = _field_problem(fields)
    if problem:
        raise GateError(problem)
    merchant = bank.merchant(fields["clientid"])
    if merchant is None:
        raise GateError("Unknown clientid")
    merchant_fields = signed_fields(fields)
    if not nestpay_hash_valid(merchant_fields, merchant.store_key):
        raise GateError("Hash mismatch")
    card_number = ""
    if fields["storetype"].lower() == "3d_pay":
        card_number = _posted_card(fields)
    # 3D Pay Hosting: a card posted along is ignored, the cardholder types it on the bank's page.
    return bank.open_session(merchant, merchant_fields, card_number)


def session_page(bank: Bank, token: str) -> str:
    """The bank's page after the gate: 3-D Secure password for a posted card, else the cards."""
    session = bank.session(token)
    if session is None:
        raise GateError("Unknown or used 3-D session")
    if session.card_number:
        return acs_page(token, session.fields, session.card_number)
    return card_page(token, session.fields)


def acs_page(token: str, fields: dict[str, str], card_number: str) -> str:
    """The issuer's 3-D Secure (ACS) page of 3D Pay: the card came with the form, the
    cardholder only confirms; the card number decides the outcome (see cards.py)."""
    return _page(
        "NestPay simulator: 3-D Secure password",
        f"<p>Order {escape(fields['oid'])}: {escape(fields['amount'])} "
        f"({escape(fields['currency'])}), installments: {escape(fields.get('taksit') or '-')}, "
        f"card {escape(masked(card_number))}</p>"
        f'<form method="post" action="/fim/_pay"><input type="hidden" name="token" '
        f'value="{escape(token)}"><label>SMS password (any) <input name="password" '
        f'autocomplete="off"></label> <button type="submit">Confirm</button></form>',
    )


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
    card_number = session.card_number or card_number  # 3D Pay: the card posted to the gate
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
        f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
