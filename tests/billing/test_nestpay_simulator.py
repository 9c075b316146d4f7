"""The NestPay simulator over HTTP: the 3-D gate, the signed back-post and the XML API."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from xml.etree import ElementTree as ET

import pytest

from billing.payments.nestpay.codes import payment_approved
from billing.payments.nestpay.hashing import nestpay_hash, nestpay_hash_valid
from billing.payments.nestpay.simulator.cards import (
    CARD_3D_FAILS,
    CARD_APPROVED,
    CARD_HALF_SECURE,
    CARD_INSUFFICIENT_FUNDS,
)
from tests import nestpay_fake
from tests.nestpay_fake import API_PASSWORD, API_USER, CLIENT_ID, STORE_KEY


@pytest.fixture
def bank(nestpay_bank):
    return nestpay_bank


def cc5(bank, body: str, *, user: str = API_USER, password: str = API_PASSWORD) -> dict:
    xml = (
        f"<CC5Request><Name>{user}</Name><Password>{password}</Password>"
        f"<ClientId>{CLIENT_ID}</ClientId>{body}</CC5Request>"
    )
    answer = bank.api(xml)
    assert answer.status == 200
    root = ET.fromstring(answer.text)  # noqa: S314 — the simulator's own answer
    values = {child.tag: (child.text or "") for child in root if child.tag != "Extra"}
    values["Extra"] = {child.tag: (child.text or "") for child in root.find("Extra")}
    return values


def credit(bank, oid: str, total: str) -> dict:
    return cc5(bank, f"<Type>Credit</Type><OrderId>{oid}</OrderId><Total>{total}</Total>"
                     "<Currency>949</Currency>")  # fmt: skip


def void(bank, oid: str) -> dict:
    return cc5(bank, f"<Type>Void</Type><OrderId>{oid}</OrderId>")


def inquiry(bank, oid: str) -> dict:
    return cc5(bank, f"<OrderId>{oid}</OrderId><Extra><ORDERSTATUS>QUERY</ORDERSTATUS></Extra>")


def history(bank, oid: str) -> dict:
    return cc5(bank, f"<OrderId>{oid}</OrderId><Extra><ORDERHISTORY>QUERY</ORDERHISTORY></Extra>")


def rows(answer: dict) -> list[list[str]]:
    """The TRXn rows of an order history, newest first as the bank lists them."""
    count = int(answer["Extra"]["TRXCOUNT"])
    return [answer["Extra"][f"TRX{n}"].split("\t") for n in range(1, count + 1)]


def test_the_gate_refuses_a_tampered_hash_with_400(bank) -> None:
    form = {**bank.signed_form("ORD-1"), "amount": "1.00"}
    answer = bank.post_form("/fim/est3Dgate", form)
    assert answer.status == 400
    assert "Hash mismatch" in answer.text


def test_the_gate_refuses_a_missing_hash_with_400(bank) -> None:
    form = bank.signed_form("ORD-1")
    del form["hash"]
    assert bank.post_form("/fim/est3Dgate", form).status == 400


@pytest.mark.parametrize(
    ("field", "value"),
    [("hashAlgorithm", "ver2"), ("currency", "999"), ("taksit", "13"), ("amount", "1.005"),
     ("okUrl", "javascript:alert(1)"), ("clientid", "999")],
)  # fmt: skip
def test_the_gate_refuses_bad_fields_with_400(bank, field: str, value: str) -> None:
    # Signed after the change, so only the field itself is wrong.
    form = bank.signed_form("ORD-1", **{field: value})
    assert bank.post_form("/fim/est3Dgate", form).status == 400


def test_an_approved_payment_posts_back_to_ok_url_signed_by_the_bank(bank) -> None:
    form = bank.signed_form("ORD-OK", "250.50", taksit="3")
    url, fields = bank.browser_pays(form)
    assert url == form["okUrl"]
    assert fields["oid"] == "ORD-OK"
    assert fields["amount"] == "250.50"
    assert fields["taksit"] == "3"
    assert (fields["mdStatus"], fields["ProcReturnCode"], fields["Response"]) == (
        "1", "00", "Approved",
    )  # fmt: skip
    assert fields["AuthCode"] and fields["TransId"]
    assert "hash" not in fields and "pan" not in fields
    assert nestpay_hash_valid(fields, STORE_KEY)
    assert payment_approved(fields)


def test_the_back_post_hash_breaks_when_a_field_is_changed(bank) -> None:
    _url, fields = bank.browser_pays(bank.signed_form("ORD-T"))
    assert not nestpay_hash_valid({**fields, "amount": "1.00"}, STORE_KEY)
    assert not nestpay_hash_valid(fields, "another store key")


def test_a_3d_failure_posts_back_to_fail_url(bank) -> None:
    form = bank.signed_form("ORD-3D")
    url, fields = bank.browser_pays(form, CARD_3D_FAILS)
    assert url == form["failUrl"]
    assert fields["mdStatus"] == "0"
    assert fields["Response"] == "Declined"
    assert nestpay_hash_valid(fields, STORE_KEY)
    assert not payment_approved(fields)


def test_a_bank_decline_posts_back_to_fail_url_with_its_code(bank) -> None:
    form = bank.signed_form("ORD-51")
    url, fields = bank.browser_pays(form, CARD_INSUFFICIENT_FUNDS)
    assert url == form["failUrl"]
    assert (fields["mdStatus"], fields["ProcReturnCode"], fields["Response"]) == (
        "1", "51", "Declined",
    )  # fmt: skip
    assert fields["AuthCode"] == ""
    assert nestpay_hash_valid(fields, STORE_KEY)


def test_a_half_secure_card_is_approved_with_md_status_4(bank) -> None:
    _url, fields = bank.browser_pays(bank.signed_form("ORD-HALF"), CARD_HALF_SECURE)
    assert fields["mdStatus"] == "4"
    assert payment_approved(fields)


def test_an_order_id_is_never_charged_twice(bank) -> None:
    form = bank.signed_form("ORD-TWICE")
    bank.browser_pays(form)
    url, fields = bank.browser_pays(form)
    assert url == form["failUrl"]
    assert fields["Response"] == "Error"
    assert nestpay_hash_valid(fields, STORE_KEY)


def test_inquiry_reports_approved_declined_and_unknown_orders(bank) -> None:
    bank.browser_pays(bank.signed_form("ORD-A", "80.00"))
    bank.browser_pays(bank.signed_form("ORD-D"), CARD_INSUFFICIENT_FUNDS)

    approved = inquiry(bank, "ORD-A")
    assert (approved["Response"], approved["ProcReturnCode"]) == ("Approved", "00")
    assert approved["ErrMsg"] == "Record(s) found for ORD-A"
    extra = approved["Extra"]
    assert (extra["ORD_ID"], extra["CHARGE_TYPE_CD"], extra["TRANS_STAT"]) == ("ORD-A", "S", "C")
    assert (extra["ORIG_TRANS_AMT"], extra["CAPTURE_AMT"], extra["PROC_RET_CD"]) == (
        "8000", "8000", "00",
    )  # fmt: skip
    assert extra["TRANS_ID"] == approved["TransId"] and extra["AUTH_CODE"]
    assert extra["PAN"] == "4546 71** **** 7894"
    assert extra["ORDERSTATUS"].startswith("ORD_ID:ORD-A\tCHARGE_TYPE_CD:S\tORIG_TRANS_AMT:8000\t")
    assert not {"REFUND_AMT", "CURRENCY", "INSTALLMENT"} & set(extra)  # no such fields at banks
    declined = inquiry(bank, "ORD-D")
    # The query worked ("Approved"); the sale's own verdict is in Extra.
    assert (declined["Response"], declined["ProcReturnCode"]) == ("Approved", "00")
    assert (declined["Extra"]["TRANS_STAT"], declined["Extra"]["PROC_RET_CD"]) == ("D", "51")
    assert declined["Extra"]["CAPTURE_AMT"] == ""
    unknown = inquiry(bank, "ORD-NONE")
    assert (unknown["Response"], unknown["ProcReturnCode"]) == ("Declined", "99")
    assert unknown["ErrMsg"] == "No record found for ORD-NONE"
    assert unknown["Extra"]["ORDERSTATUS"].startswith("ORD_ID:\tCHARGE_TYPE_CD:\t")


def test_an_abandoned_3d_page_is_unknown_to_the_inquiry(bank) -> None:
    assert bank.post_form("/fim/est3Dgate", bank.signed_form("ORD-GONE")).status == 200
    assert inquiry(bank, "ORD-GONE")["ErrMsg"] == "No record found for ORD-GONE"
    gone = history(bank, "ORD-GONE")
    assert (gone["Response"], gone["ProcReturnCode"]) == ("Declined", "05")
    assert (gone["ErrMsg"], gone["Extra"]["TRXCOUNT"]) == ("No record found for ORD-GONE", "0")


def test_partial_refunds_up_to_what_was_paid_and_no_further(bank) -> None:
    bank.browser_pays(bank.signed_form("ORD-R", "100.00"))

    first = credit(bank, "ORD-R", "60.00")
    second = credit(bank, "ORD-R", "40.01")
    third = credit(bank, "ORD-R", "40.00")

    assert (first["Response"], first["ProcReturnCode"]) == ("Approved", "00")
    assert first["TransId"]
    assert second["Response"] == "Error"
    assert "refundable" in second["ErrMsg"]
    assert third["Response"] == "Approved"
    # ORDERSTATUS now describes the latest credit, as banks answer after a refund.
    latest = inquiry(bank, "ORD-R")["Extra"]
    assert (latest["CHARGE_TYPE_CD"], latest["TRANS_STAT"], latest["ORIG_TRANS_AMT"]) == (
        "C", "C", "4000",
    )  # fmt: skip
    answer = history(bank, "ORD-R")
    assert (answer["Response"], answer["ProcReturnCode"]) == ("Approved", "00")
    assert [[*row[:4], row[9]] for row in rows(answer)] == [
        ["C", "C", "4000", "4000", "00"],
        ["C", "D", "4001", "4001", "99"],  # the refused credit is kept, as the banks do
        ["C", "C", "6000", "6000", "00"],
        ["S", "C", "10000", "10000", "00"],
    ]
    assert all(len(row) == 11 for row in rows(answer))
    assert rows(answer)[0][10] == third["TransId"]


def test_a_declined_order_cannot_be_refunded(bank) -> None:
    bank.browser_pays(bank.signed_form("ORD-DR"), CARD_INSUFFICIENT_FUNDS)
    assert credit(bank, "ORD-DR", "1.00")["Response"] == "Error"


def test_a_same_day_sale_can_be_voided_once(bank) -> None:
    bank.browser_pays(bank.signed_form("ORD-V"))

    voided = void(bank, "ORD-V")
    assert (voided["Response"], voided["ProcReturnCode"]) == ("Approved", "00")
    assert voided["GroupId"] == "ORD-V" and voided["HostRefNum"] and voided["TransId"]
    again = void(bank, "ORD-V")
    assert (again["Response"], again["ProcReturnCode"]) == ("Error", "99")
    assert again["Extra"]["ERRORCODE"] == "CORE-2008"
    status = inquiry(bank, "ORD-V")["Extra"]
    assert (status["TRANS_STAT"], status["CHARGE_TYPE_CD"]) == ("V", "S")
    assert status["VOID_DTTM"]
    assert credit(bank, "ORD-V", "1.00")["Response"] == "Error"
    # As recorded at a real bank: a voided sale, then the refused credit on top (newest first).
    sale_row, credit_row = rows(history(bank, "ORD-V"))[::-1]
    assert sale_row[:2] == ["S", "V"] and sale_row[6] and sale_row[9] == "00"
    assert credit_row[:2] == ["C", "D"] and credit_row[9] == "99"


def test_a_refunded_or_older_sale_cannot_be_voided(bank) -> None:
    bank.browser_pays(bank.signed_form("ORD-RV"))
    bank.browser_pays(bank.signed_form("ORD-OLD"))
    credit(bank, "ORD-RV", "1.00")
    bank.post(
        "/_config/age", json.dumps({"oid": "ORD-OLD", "days": 1}).encode(), "application/json"
    )

    assert void(bank, "ORD-RV")["Response"] == "Error"
    assert "same-day" in void(bank, "ORD-OLD")["ErrMsg"]


@pytest.mark.parametrize(("user", "password"), [(API_USER, "wrong"), ("someone", API_PASSWORD)])
def test_wrong_api_credentials_get_an_error(bank, user: str, password: str) -> None:
    bank.browser_pays(bank.signed_form("ORD-C"))
    answer = cc5(bank, "<Type>Void</Type><OrderId>ORD-C</OrderId>", user=user, password=password)
    assert (answer["Response"], answer["ErrMsg"]) == ("Error", "Invalid credentials")
    assert inquiry(bank, "ORD-C")["Extra"]["TRANS_STAT"] == "C"  # nothing was voided


def test_malformed_xml_gets_an_error_not_a_crash(bank) -> None:
    answer = bank.api("<CC5Request><Name>")
    assert answer.status == 200
    assert "<Response>Error</Response>" in answer.text


def test_merchants_can_be_configured_over_http(bank) -> None:
    config = {"555": {"store_key": "k555", "api_user": "u", "api_password": "p"}}
    bank.post("/_config/merchants", json.dumps(config).encode(), "application/json")
    form = {k: v for k, v in bank.signed_form("ORD-555").items() if k != "hash"}
    form["clientid"] = "555"
    assert (
        bank.post_form("/fim/est3Dgate", {**form, "hash": nestpay_hash(form, "k555")}).status == 200
    )


def test_a_card_number_typed_on_the_page_decides_the_outcome_too(bank) -> None:
    form = bank.signed_form("ORD-TYPED")
    _action, hidden = nestpay_fake.read_form(bank.post_form("/fim/est3Dgate", form).text)
    page = bank.post_form("/fim/_pay", {"token": hidden["token"], "cardnumber": CARD_3D_FAILS})
    url, fields = nestpay_fake.read_form(page.text)
    assert (url, fields["mdStatus"]) == (form["failUrl"], "0")
    assert fields["maskedCreditCard"] == "450803******4509"


def test_a_3d_page_can_be_submitted_only_once(bank) -> None:
    _action, hidden = nestpay_fake.read_form(
        bank.post_form("/fim/est3Dgate", bank.signed_form("ORD-ONCE")).text
    )
    assert bank.post_form("/fim/_pay", {"token": hidden["token"], "pan": "1"}).status == 200
    assert bank.post_form("/fim/_pay", {"token": hidden["token"], "pan": "1"}).status == 400


def test_the_simulator_runs_without_django() -> None:
    # It is a separate process standing in for the bank: nothing of Kontor's stack may load.
    code = (
        "import sys, billing.payments.nestpay_simulator, billing.payments.nestpay.simulator.server;"
        "sys.exit('django' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0  # noqa: S603


# 3D Pay: the card inputs are on the merchant's page and go to the gate with the signed fields.


def test_3d_pay_takes_the_card_unsigned_and_asks_for_the_3d_password(bank) -> None:
    form = bank.signed_form("ORD-3DP", storetype="3d_pay")
    page = bank.post_form("/fim/est3Dgate", {**form, **nestpay_fake.card_fields()})
    assert page.status == 200, page.text
    assert "NestPay simulator: 3-D Secure password" in page.text
    assert "Confirm" in page.text
    assert "454671******7894" in page.text and CARD_APPROVED not in page.text
    action, hidden = nestpay_fake.read_form(page.text)
    assert action == "/fim/_pay" and hidden["token"]


def test_3d_pay_pays_and_never_echoes_the_card(bank) -> None:
    form = bank.signed_form("ORD-3DP-OK", "1500.00", storetype="3d_pay", taksit="6")
    url, fields = bank.browser_pays_3d_pay(form)
    assert url == form["okUrl"]
    assert (fields["mdStatus"], fields["Response"], fields["taksit"]) == ("1", "Approved", "6")
    assert fields["storetype"] == "3d_pay"
    assert fields["maskedCreditCard"] == "454671******7894"
    card_names = {name.lower() for name in nestpay_fake.card_fields()}
    assert not card_names & {name.lower() for name in fields}
    assert CARD_APPROVED not in "".join(fields.values())
    assert nestpay_hash_valid(fields, STORE_KEY)


@pytest.mark.parametrize(
    ("card", "md_status", "code"),
    [(CARD_3D_FAILS, "0", "99"), (CARD_INSUFFICIENT_FUNDS, "1", "51")],
)
def test_3d_pay_outcomes_come_from_the_card_number(bank, card, md_status, code) -> None:
    form = bank.signed_form(f"ORD-3DP-{code}", storetype="3d_pay")
    url, fields = bank.browser_pays_3d_pay(form, card)
    assert url == form["failUrl"]
    assert (fields["mdStatus"], fields["ProcReturnCode"]) == (md_status, code)
    assert nestpay_hash_valid(fields, STORE_KEY)


def test_3d_pay_does_not_require_the_card_in_the_hash(bank) -> None:
    # A merchant that (wrongly) signed the card fields too gets a hash mismatch: the gate
    # leaves them out of the hash, as the merchant never sees the card.
    fields = {k: v for k, v in bank.signed_form("ORD-SIGNED", storetype="3d_pay").items()
              if k != "hash"}  # fmt: skip
    with_card = {**fields, **nestpay_fake.card_fields()}
    signed_with_card = {**with_card, "hash": nestpay_hash(with_card, STORE_KEY)}
    answer = bank.post_form("/fim/est3Dgate", signed_with_card)
    assert answer.status == 400
    assert "Hash mismatch" in answer.text


def test_3d_pay_card_field_names_are_compared_case_insensitively(bank) -> None:
    form = bank.signed_form("ORD-CASE", storetype="3d_pay")
    card = {name.upper(): value for name, value in nestpay_fake.card_fields().items()}
    page = bank.post_form("/fim/est3Dgate", {**form, **card})
    assert page.status == 200, page.text
    assert "3-D Secure password" in page.text


def test_3d_pay_still_refuses_a_tampered_signed_field(bank) -> None:
    form = {**bank.signed_form("ORD-3DP-T", storetype="3d_pay"), "amount": "1.00"}
    answer = bank.post_form("/fim/est3Dgate", {**form, **nestpay_fake.card_fields()})
    assert answer.status == 400
    assert "Hash mismatch" in answer.text


def test_3d_pay_without_a_card_is_refused(bank) -> None:
    answer = bank.post_form("/fim/est3Dgate", bank.signed_form("ORD-NOCARD", storetype="3d_pay"))
    assert answer.status == 400
    assert "Card fields missing for 3D Pay" in answer.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pan": "4546 7112"}, "13 to 19 digits"),
        ({"pan": "45467112345678941234"}, "13 to 19 digits"),
        ({"pan": "4546abcd34567894"}, "13 to 19 digits"),
        ({"Ecom_Payment_Card_ExpDate_Month": "13"}, "month"),
        ({"Ecom_Payment_Card_ExpDate_Month": ""}, "month"),
        ({"Ecom_Payment_Card_ExpDate_Year": "202"}, "2 or 4 digits"),
        ({"Ecom_Payment_Card_ExpDate_Year": str(dt.date.today().year - 1)}, "expired"),
        ({"Ecom_Payment_Card_ExpDate_Year": str(dt.date.today().year - 1)[2:]}, "expired"),
        ({"cv2": "12"}, "cv2"),
        ({"cv2": "12345"}, "cv2"),
    ],
)
def test_3d_pay_refuses_bad_card_fields(bank, changes: dict, message: str) -> None:
    form = bank.signed_form("ORD-BAD", storetype="3d_pay")
    answer = bank.post_form("/fim/est3Dgate", {**form, **nestpay_fake.card_fields(**changes)})
    assert answer.status == 400
    assert message in answer.text
    assert inquiry(bank, "ORD-BAD")["ErrMsg"].startswith("No record found")


def test_3d_pay_accepts_a_four_digit_year_and_the_current_month(bank) -> None:
    today = dt.date.today()
    card = nestpay_fake.card_fields(
        Ecom_Payment_Card_ExpDate_Month=str(today.month),
        Ecom_Payment_Card_ExpDate_Year=str(today.year),
        cv2="1234",
    )
    form = bank.signed_form("ORD-NOW", storetype="3d_pay")
    assert bank.post_form("/fim/est3Dgate", {**form, **card}).status == 200


def test_3d_pay_hosting_shows_the_test_cards_and_ignores_a_posted_card(bank) -> None:
    form = bank.signed_form("ORD-HOSTED")  # storetype 3d_pay_hosting
    page = bank.post_form(
        "/fim/est3Dgate", {**form, **nestpay_fake.card_fields(CARD_INSUFFICIENT_FUNDS)}
    )
    assert page.status == 200
    assert "3-D Secure password" not in page.text
    assert CARD_APPROVED in page.text  # the test-card page
    _action, hidden = nestpay_fake.read_form(page.text)
    back = bank.post_form("/fim/_pay", {"token": hidden["token"], "pan": CARD_APPROVED})
    url, fields = nestpay_fake.read_form(back.text)
    assert (url, fields["Response"]) == (form["okUrl"], "Approved")
    assert "pan" not in fields and "cv2" not in fields


def test_a_3d_pay_confirmation_cannot_swap_the_card(bank) -> None:
    form = bank.signed_form("ORD-SWAP", storetype="3d_pay")
    page = bank.post_form(
        "/fim/est3Dgate", {**form, **nestpay_fake.card_fields(CARD_INSUFFICIENT_FUNDS)}
    )
    _action, hidden = nestpay_fake.read_form(page.text)
    back = bank.post_form("/fim/_pay", {"token": hidden["token"], "pan": CARD_APPROVED})
    _url, fields = nestpay_fake.read_form(back.text)
    assert fields["ProcReturnCode"] == "51"
