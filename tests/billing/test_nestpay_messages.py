"""What the customer reads when the bank refused a NestPay payment."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.functional import Promise

from billing.payments.nestpay.messages import (
    MD_STATUS_MESSAGES,
    PROC_RETURN_CODE_MESSAGES,
    bank_message,
    bank_message_for,
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def fallback(code: str) -> str:
    return f"Your bank declined the payment (code {code})."


@pytest.mark.parametrize("code", sorted(PROC_RETURN_CODE_MESSAGES))
def test_every_code_in_the_table_has_its_own_sentence(code: str) -> None:
    message = bank_message(md_status="1", proc_return_code=code)
    assert message
    assert message != fallback(code)
    assert code not in message


@pytest.mark.parametrize("md_status", sorted(MD_STATUS_MESSAGES))
def test_every_failing_3d_status_has_a_sentence(md_status: str) -> None:
    message = bank_message(md_status=md_status, proc_return_code="")
    assert message
    assert "declined the payment (code" not in message


def test_the_common_iso_8583_codes_are_all_in_the_table() -> None:
    expected = {"05", "12", "13", "14", "15", "33", "41", "43", "51", "54", "57", "58", "61", "62",
                "65", "91", "96", "99"}  # fmt: skip
    assert expected <= set(PROC_RETURN_CODE_MESSAGES)


def test_a_3d_system_error_reads_differently_from_a_failed_verification() -> None:
    failed = bank_message(md_status="0", proc_return_code="")
    system_error = bank_message(md_status="7", proc_return_code="")
    assert "confirm that it is you" in failed
    assert system_error != failed


@pytest.mark.parametrize("code", ["76", "N7", "5A"])
def test_an_unknown_code_falls_back_to_a_decline_naming_the_code(code: str) -> None:
    assert bank_message(md_status="1", proc_return_code=code) == fallback(code)


@pytest.mark.parametrize("code", ["", "   ", "<script>", "123456"])
def test_an_empty_or_odd_code_is_not_repeated(code: str) -> None:
    message = bank_message(md_status="1", proc_return_code=code)
    assert message
    assert "(code" not in message


@pytest.mark.parametrize("md_status", ["0", "5", "6", "7", "8", "9"])
def test_a_3d_failure_wins_over_the_proc_return_code(md_status: str) -> None:
    message = bank_message(md_status=md_status, proc_return_code="51", err_msg="Yetersiz bakiye")
    assert message == str(MD_STATUS_MESSAGES[md_status])
    assert message != bank_message(md_status="1", proc_return_code="51")


@pytest.mark.parametrize("md_status", ["1", "2", "3", "4", ""])
def test_once_3d_passed_the_proc_return_code_speaks(md_status: str) -> None:
    assert bank_message(md_status=md_status, proc_return_code="51") == str(
        PROC_RETURN_CODE_MESSAGES["51"]
    )


def test_an_approved_payment_has_nothing_to_explain() -> None:
    assert bank_message(md_status="1", proc_return_code="00") == ""


def test_lost_and_stolen_cards_only_say_contact_your_bank() -> None:
    for code in ("41", "43"):
        message = bank_message(md_status="1", proc_return_code=code).lower()
        assert "contact your bank" in message
        assert "lost" not in message and "stolen" not in message


def test_a_single_digit_code_is_read_as_the_two_digit_one() -> None:
    assert bank_message(md_status="1", proc_return_code="5") == str(PROC_RETURN_CODE_MESSAGES["05"])


def test_the_banks_own_text_never_reaches_the_customer() -> None:
    err_msg = "KART CALINTI - EL KOYUNUZ"
    for md_status, code in [("1", "43"), ("0", "99"), ("1", "76"), ("1", "")]:
        message = bank_message(md_status=md_status, proc_return_code=code, err_msg=err_msg)
        assert err_msg not in message


def test_it_reads_a_back_post() -> None:
    fields = {"mdStatus": "1", "ProcReturnCode": "51", "ErrMsg": "Insufficient funds",
              "Response": "Declined"}  # fmt: skip
    assert bank_message_for(fields) == str(PROC_RETURN_CODE_MESSAGES["51"])
    assert bank_message_for({"mdStatus": "0", "ProcReturnCode": "99"}) == str(
        MD_STATUS_MESSAGES["0"]
    )


def test_the_table_holds_lazy_strings_translated_when_read() -> None:
    # The tables are built at import; the language must be the request's, read at call time.
    for message in [*MD_STATUS_MESSAGES.values(), *PROC_RETURN_CODE_MESSAGES.values()]:
        assert isinstance(message, Promise)
