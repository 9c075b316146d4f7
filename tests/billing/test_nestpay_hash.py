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
