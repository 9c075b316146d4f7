"""NestPay hash version 3, checked against a value computed outside Kontor, and the answer codes."""

from __future__ import annotations

import pytest

from billing.payments.nestpay.codes import (
    currency_code,
    currency_from_code,
    md_status_fully_authenticated,
    md_status_may_proceed,
    payment_approved,
    proc_return_code_approved,
)
from billing.payments.nestpay.hashing import nestpay_hash, nestpay_hash_valid, nestpay_plaintext

STORE_KEY = "SKEY|12\\3"  # a `|` and a `\` in the key too: it is escaped like the values
FIELDS = {
    "clientid": "100200127",
    "oid": "ORD-15|A",
    "amount": "91.96",
    "okUrl": "https://shop.example/ok",
    "failUrl": "https://shop.example/fail",
    "TranType": "Auth",
    "taksit": "",
    "currency": "949",
    "rnd": "abc\\def",
    "storetype": "3d_pay",
    "hashAlgorithm": "ver3",
    "lang": "tr",
    "encoding": "utf-8",
    "hash": "left out of its own hash",
}
# Computed once by hand, independently of Kontor's code:
#   printf '%s' "$PLAINTEXT" | openssl dgst -sha512 -binary | base64 -w0
# with PLAINTEXT, in single quotes, exactly as printed below (each `\|` and `\\` literal):
#   91.96|100200127|949|https://shop.example/fail|ver3|tr|ORD-15\|A|https://shop.example/ok
#   |abc\\def|3d_pay||Auth|SKEY\|12\\3          (one line, no break)
# (names sorted case-insensitively: amount clientid currency failUrl hashAlgorithm lang oid okUrl
# rnd storetype taksit TranType; `hash` and `encoding` left out; store key appended.)
PLAINTEXT = (
    "91.96|100200127|949|https://shop.example/fail|ver3|tr|ORD-15\\|A|https://shop.example/ok"
    "|abc\\\\def|3d_pay||Auth|SKEY\\|12\\\\3"
)
EXPECTED_HASH = (
    "yEQi7lJhtGL4EZWR0EtJB7i/V7AU7nzdhQYy7ZV59E6ziGaaoY54E79Td0/KNynqJfz+XKGSgOpKNhdCCMhOjA=="
)


def test_the_plaintext_is_the_documented_one() -> None:
    assert nestpay_plaintext(FIELDS, STORE_KEY) == PLAINTEXT


def test_the_hash_matches_the_one_openssl_computed() -> None:
    assert nestpay_hash(FIELDS, STORE_KEY) == EXPECTED_HASH


def test_the_order_of_the_fields_does_not_matter() -> None:
    reversed_fields = dict(reversed(list(FIELDS.items())))
    assert nestpay_hash(reversed_fields, STORE_KEY) == EXPECTED_HASH


def test_names_are_sorted_case_insensitively() -> None:
    # Byte order would put "B" before "a"; NestPay's rule puts "a" first.
    assert nestpay_plaintext({"B": "2", "a": "1"}, "k") == "1|2|k"
    assert nestpay_plaintext({"b": "2", "A": "1"}, "k") == "1|2|k"


@pytest.mark.parametrize("name", ["hash", "HASH", "Hash", "encoding", "ENCODING"])
def test_hash_and_encoding_are_left_out_whatever_their_case(name: str) -> None:
    assert nestpay_hash({**FIELDS, name: "anything"}, STORE_KEY) == EXPECTED_HASH


UNSIGNED = {name: value for name, value in FIELDS.items() if name != "hash"}


def test_a_correctly_signed_answer_is_valid() -> None:
    assert nestpay_hash_valid({**UNSIGNED, "HASH": EXPECTED_HASH}, STORE_KEY)
    assert nestpay_hash_valid({**UNSIGNED, "hash": EXPECTED_HASH}, STORE_KEY)


def test_a_tampered_field_makes_it_invalid() -> None:
    assert not nestpay_hash_valid({**UNSIGNED, "HASH": EXPECTED_HASH, "amount": "9.96"}, STORE_KEY)


def test_another_store_key_makes_it_invalid() -> None:
    assert not nestpay_hash_valid({**UNSIGNED, "HASH": EXPECTED_HASH}, "another key")


@pytest.mark.parametrize("given", [None, "", "   "])
def test_a_missing_or_blank_hash_is_invalid(given: str | None) -> None:
    fields = dict(UNSIGNED)
    if given is not None:
        fields["HASH"] = given
    assert not nestpay_hash_valid(fields, STORE_KEY)


@pytest.mark.parametrize(
    ("md_status", "proceeds", "full"),
    [
        ("1", True, True),
        ("2", True, False),
        ("3", True, False),
        ("4", True, False),
        ("0", False, False),
        ("5", False, False),
        ("7", False, False),
        ("", False, False),
        (None, False, False),
    ],
)
def test_md_status_decides_whether_the_3d_result_may_proceed(
    md_status: str | None, proceeds: bool, full: bool
) -> None:
    assert md_status_may_proceed(md_status) is proceeds
    assert md_status_fully_authenticated(md_status) is full


def test_only_proc_return_code_00_is_approved() -> None:
    assert proc_return_code_approved("00")
    assert not proc_return_code_approved("51")
    assert not proc_return_code_approved(None)


def test_a_payment_is_approved_when_3d_passed_and_the_bank_approved() -> None:
    approved = {"mdStatus": "1", "ProcReturnCode": "00", "Response": "Approved"}
    assert payment_approved(approved)
    assert not payment_approved({**approved, "mdStatus": "0"})
    assert not payment_approved({**approved, "ProcReturnCode": "51", "Response": "Declined"})


def test_currencies_map_to_iso_4217_numeric_codes() -> None:
    assert [currency_code(c) for c in ("TRY", "EUR", "USD", "try")] == ["949", "978", "840", "949"]
    assert currency_from_code("949") == "TRY"
    with pytest.raises(KeyError):
        currency_code("GBP")


# A real 3D Pay answer of a bank's test environment (Ziraat, through NestPay), with the HASH the
# bank computed, store key "123456": published as a fixture of the open-source integration
# mewebstudio/pos (tests/Crypt/EstV3PosCryptTest.php); empty values were null there. Kontor must
# accept it exactly as the bank signed it, and refuse it changed.
BANK_ANSWER = {
    "ReturnOid": "202210308C0F", "TRANID": "", "hashAlgorithm": "ver3",
    "PAResSyntaxOK": "true", "firmaadi": "John Doe", "islemtipi": "Auth", "lang": "tr",
    "merchantID": "190200000", "maskedCreditCard": "4355 08** **** 4358", "amount": "1.01",
    "sID": "1", "ACQBIN": "454672", "Ecom_Payment_Card_ExpDate_Year": "26",
    "EXTRA_CARDBRAND": "VISA", "Email": "mail@customer.com", "MaskedPan": "435508***4358",
    "acqStan": "184784", "merchantName": "Ziraat 3D_Pay", "clientIp": "89.244.149.137",
    "EXTRA_KAZANILANPUAN": "000000010.00",
    "okUrl": "http://localhost/akbank/3d-pay/response.php",
    "md": "435508:51104213993AC8DFE8839C7F7E391B461115D09A1D88948C8ACE421D7D7EAA5A:3545:"
    "##190200000",
    "ProcReturnCode": "00", "payResults_dsId": "1", "taksit": "", "TransId": "22303RqiC11252",
    "EXTRA_TRXDATE": "20221030 17:42:33", "Ecom_Payment_Card_ExpDate_Month": "12",
    "storetype": "3d_pay", "Response": "Approved", "SettleId": "2383",
    "mdErrorMsg": "Y-status/Challenge authentication via ACS: "
    "https://3ds-acs.test.modirum.com/mdpayacs/creq?token=214711321.1667140951.Ud_jQl3B2l1",
    "ErrMsg": "", "PAResVerified": "true", "cavv": "ABABBCgghAAAAABllJMDdZdTdic=",
    "digest": "digest", "HostRefNum": "230317184784", "callbackCall": "true",
    "AuthCode": "216981", "failUrl": "http://localhost/akbank/3d-pay/response.php",
    "xid": "N1An1iS5iN4u/1VWS6CgzSGRtN0=", "encoding": "ISO-8859-9", "currency": "949",
    "oid": "202210308C0F", "mdStatus": "1", "dsId": "1", "eci": "05", "version": "2.0",
    "EXTRA_CARDISSUER": "AKBANK T.A.S.", "clientid": "190200000", "txstatus": "Y",
    "HASH": "jVgcwtx4vxxAcX8+ajsrrzp77k9uaGu1pjDQfCpoUG95y2Mww"
    "Gipc6cF3kESiTphjV8/1ESSc6zg9KyTSxUnzA==",
    "rnd": "J/jGATA5LLVaMfpU+Yyu",
}  # fmt: skip


def test_a_real_banks_answer_verifies_with_its_own_hash() -> None:
    assert nestpay_hash_valid(BANK_ANSWER, "123456")
    assert nestpay_hash_valid({**BANK_ANSWER, "nationalidno": "12345678901"}, "123456")
    assert not nestpay_hash_valid({**BANK_ANSWER, "amount": "101.00"}, "123456")
    assert not nestpay_hash_valid(BANK_ANSWER, "654321")


def test_names_sort_naturally_and_upper_case_folded() -> None:
    # `_` after the letters (upper-case folding), 2 before 10 (natural order).
    fields = {"_charset_": "u", "Zeta": "z", "alpha": "a", "item10": "10", "item2": "2"}
    assert nestpay_plaintext(fields, "k") == "a|2|10|z|u|k"
