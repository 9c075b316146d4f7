"""The NestPay client against answers recorded at real banks' test environments, not against
our simulator: whatever the simulator does, these shapes are what banks send.

The values are copied verbatim from the recorded answers in the open-source mewebstudio/pos
library's test data (tests/Unit/DataMapper/ResponseDataMapper/EstPosResponseDataMapperTest.php:
`statusTestDataProvider` and `orderHistoryTestDataProvider`), element by element. Where a case
is put together from recorded rows rather than recorded whole, its comment says so.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree as ET

import pytest

from billing.payments.nestpay.client import NestPayApi, NestPayUnreachable

# statusTestDataProvider "pay_order_status": a sale, captured at once (TRANS_STAT C).
SALE_CAPTURED = (
    {
        "ErrMsg": "Record(s) found for 2024010354F1",
        "ProcReturnCode": "00",
        "Response": "Approved",
        "OrderId": "2024010354F1",
        "TransId": "24003Vl7F13152",
    },
    {
        "AUTH_CODE": "P77974",
        "AUTH_DTTM": "2024-01-03 21:37:57.259",
        "CAPTURE_AMT": "101",
        "CAPTURE_DTTM": "2024-01-03 21:37:57.259",
        "CAVV_3D": "",
        "CHARGE_TYPE_CD": "S",
        "ECI_3D": "",
        "HOSTDATE": "0103-213757",
        "HOST_REF_NUM": "400300744233",
        "MDSTATUS": "",
        "NUMCODE": "0",
        "ORDERSTATUS": "ORD_ID:2024010354F1\tCHARGE_TYPE_CD:S\tORIG_TRANS_AMT:101\t"
        "CAPTURE_AMT:101\tTRANS_STAT:C\tAUTH_DTTM:2024-01-03 21:37:57.259\t"
        "CAPTURE_DTTM:2024-01-03 21:37:57.259\tAUTH_CODE:P77974\tTRANS_ID:24003Vl7F13152",
        "ORD_ID": "2024010354F1",
        "ORIG_TRANS_AMT": "101",
        "PAN": "4546 71** **** 7894",
        "PROC_RET_CD": "00",
        "SETTLEID": "",
        "TRANS_ID": "24003Vl7F13152",
        "TRANS_STAT": "C",
        "XID_3D": "",
    },
)

# statusTestDataProvider "success1": authorized, not yet captured (TRANS_STAT A).
SALE_AUTHORIZED = (
    {
        "ErrMsg": "Record(s) found for 20221030FAC5",
        "ProcReturnCode": "00",
        "Response": "Approved",
        "OrderId": "20221030FAC5",
        "TransId": "22303Md4C19254",
    },
    {
        "AUTH_CODE": "P90325",
        "AUTH_DTTM": "2022-10-30 12:29:53.773",
        "CAPTURE_AMT": "",
        "CAPTURE_DTTM": "",
        "CAVV_3D": "",
        "CHARGE_TYPE_CD": "S",
        "ECI_3D": "",
        "HOSTDATE": "1030-122954",
        "HOST_REF_NUM": "230300671782",
        "MDSTATUS": "",
        "NUMCODE": "0",
        "ORDERSTATUS": "ORD_ID:20221030FAC5\tCHARGE_TYPE_CD:S\tORIG_TRANS_AMT:101\tCAPTURE_AMT:\t"
        "TRANS_STAT:A\tAUTH_DTTM:2022-10-30 12:29:53.773\tCAPTURE_DTTM:\tAUTH_CODE:P90325\t"
        "TRANS_ID:22303Md4C19254",
        "ORD_ID": "20221030FAC5",
        "ORIG_TRANS_AMT": "101",
        "PAN": "4355 08** **** 4358",
        "PROC_RET_CD": "00",
        "SETTLEID": "",
        "TRANS_ID": "22303Md4C19254",
        "TRANS_STAT": "A",
        "XID_3D": "",
    },
)

# statusTestDataProvider "canceled_order_status": a sale voided two seconds later.
SALE_VOIDED = (
    {
        "ErrMsg": "Record(s) found for 20240103BBF9",
        "ProcReturnCode": "00",
        "Response": "Approved",
        "OrderId": "20240103BBF9",
        "TransId": "24003VxrB15662",
    },
    {
        "AUTH_CODE": "P42795",
        "AUTH_DTTM": "2024-01-03 21:49:42.929",
        "CAPTURE_AMT": "101",
        "CAPTURE_DTTM": "2024-01-03 21:49:42.929",
        "CAVV_3D": "",
        "CHARGE_TYPE_CD": "S",
        "ECI_3D": "",
        "HOSTDATE": "0103-214944",
        "HOST_REF_NUM": "400300744237",
        "MDSTATUS": "",
        "NUMCODE": "0",
        "ORDERSTATUS": "ORD_ID:20240103BBF9\tCHARGE_TYPE_CD:S\tORIG_TRANS_AMT:101\t"
        "CAPTURE_AMT:101\tTRANS_STAT:V\tAUTH_DTTM:2024-01-03 21:49:42.929\t"
        "CAPTURE_DTTM:2024-01-03 21:49:42.929\tAUTH_CODE:P42795\tTRANS_ID:24003VxrB15662",
        "ORD_ID": "20240103BBF9",
        "ORIG_TRANS_AMT": "101",
        "PAN": "4546 71** **** 7894",
        "PROC_RET_CD": "00",
        "SETTLEID": "",
        "TRANS_ID": "24003VxrB15662",
        "TRANS_STAT": "V",
        "VOID_DTTM": "2024-01-03 21:49:44.301",
        "XID_3D": "",
    },
)

# statusTestDataProvider "fail1": the bank has no such order.
NO_RECORD = (
    {
        "ErrMsg": "No record found for 2022103088D22",
        "ProcReturnCode": "99",
        "Response": "Declined",
        "OrderId": "",
        "TransId": "",
    },
    {
        "NUMCODE": "0",
        "ORDERSTATUS": "ORD_ID:\tCHARGE_TYPE_CD:\tORIG_TRANS_AMT:\tCAPTURE_AMT:\tTRANS_STAT:\t"
        "AUTH_DTTM:\tCAPTURE_DTTM:\tAUTH_CODE:",
    },
)

# statusTestDataProvider "refund_order_status": after a refund, ORDERSTATUS describes the credit.
LATEST_IS_A_CREDIT = (
    {
        "ErrMsg": "Record(s) found for 20240128C0B7",
        "ProcReturnCode": "00",
        "Response": "Approved",
        "OrderId": "20240128C0B7",
        "TransId": "24028T8xG11980",
    },
    {
        "AUTH_CODE": "P93736",
        "AUTH_DTTM": "2024-01-28 19:58:49.382",
        "CAPTURE_AMT": "201",
        "CAPTURE_DTTM": "2024-01-28 19:58:49.382",
        "CAVV_3D": "",
        "CHARGE_TYPE_CD": "C",
        "ECI_3D": "",
        "HOSTDATE": "0128-195850",
        "HOST_REF_NUM": "402800747548",
        "MDSTATUS": "",
        "NUMCODE": "0",
        "ORDERSTATUS": "ORD_ID:20240128C0B7\tCHARGE_TYPE_CD:C\tORIG_TRANS_AMT:201\t"
        "CAPTURE_AMT:201\tTRANS_STAT:C\tAUTH_DTTM:2024-01-28 19:58:49.382\t"
        "CAPTURE_DTTM:2024-01-28 19:58:49.382\tAUTH_CODE:P93736\tTRANS_ID:24028T8xG11980",
        "ORD_ID": "20240128C0B7",
        "ORIG_TRANS_AMT": "201",
        "PAN": "4546 71** **** 7894",
        "PROC_RET_CD": "00",
        "SETTLEID": "",
        "TRANS_ID": "24028T8xG11980",
        "TRANS_STAT": "C",
        "XID_3D": "",
    },
)

HISTORY_TOP = {"ErrMsg": "", "ProcReturnCode": "00", "Response": "Approved"}
TERMINAL = {"TERMINALID": "00655020", "MERCHANTID": "655000200", "NUMCODE": "0"}

# orderHistoryTestDataProvider "success_cancel_success_refund_fail": newest first, a refused
# credit (C D, code 99) after the sale was voided (S V).
VOIDED_SALE_REFUSED_CREDIT = (
    {**HISTORY_TOP, "OrderId": "20240102D8F1"},
    {
        **TERMINAL,
        "TRX1": "C\tD\t100\t100\t2024-01-02 21:53:02.486\t2024-01-02 21:53:02.486\t\t\t\t99\t"
        "24002V3CG19993",
        "TRX2": "S\tV\t101\t101\t2024-01-02 21:52:59.261\t2024-01-02 21:52:59.261\t"
        "2024-01-02 21:53:01.297\t400200744059\tP78955\t00\t24002V29G19979",
        "TRXCOUNT": "2",
    },
)

# orderHistoryTestDataProvider "success_one_payment_tx"'s sale row, followed by two completed
# credits. Put together, not recorded whole: the recorded histories have no completed credit.
# The credit rows keep the recorded credit row's layout (C, stat, amount twice, times, host ref,
# auth code, code, trans id) with stat C and code 00, as for a credit the bank carried out.
SALE_TWO_CREDITS = (
    {**HISTORY_TOP, "OrderId": "202401010C20"},
    {
        **TERMINAL,
        "TRX1": "C\tC\t61\t61\t2024-01-02 10:00:01.100\t2024-01-02 10:00:01.100\t\t400200744100\t"
        "P20002\t00\t24002KkkA10002",
        "TRX2": "C\tC\t40\t40\t2024-01-02 09:00:01.100\t2024-01-02 09:00:01.100\t\t400200744099\t"
        "P20001\t00\t24002KkkA10001",
        "TRX3": "S\tC\t101\t101\t2024-01-01 22:15:27.511\t2024-01-01 22:15:27.511\t\t"
        "400100743898\tP14578\t00\t24001WPbH16694",
        "TRXCOUNT": "3",
    },
)

# orderHistoryTestDataProvider "success_one_pre_auth_tx": authorized, nothing captured yet.
ONE_PRE_AUTH = (
    {**HISTORY_TOP, "OrderId": "20240101CCCF"},
    {
        **TERMINAL,
        "TRX1": "S\tA\t205\t\t2024-01-01 22:28:30.716\t\t\t400100743899\tT56045\t00\t"
        "24001WceJ18839",
        "TRXCOUNT": "1",
    },
)

# orderHistoryTestDataProvider "fail1".
HISTORY_NO_RECORD = (
    {
        "ErrMsg": "No record found for 20221030B3FF2",
        "ProcReturnCode": "05",
        "Response": "Declined",
        "OrderId": "20221030B3FF2",
    },
    {"NUMCODE": "0", "TRXCOUNT": "0"},
)


def cc5_response(answer: tuple[dict[str, str], dict[str, str]]) -> bytes:
    top, extra = answer
    root = ET.Element("CC5Response")
    for name, value in top.items():
        ET.SubElement(root, name).text = value
    node = ET.SubElement(root, "Extra")
    for name, value in extra.items():
        ET.SubElement(node, name).text = value
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


class _Recorded(BaseHTTPRequestHandler):
    """Answers the ORDERSTATUS and ORDERHISTORY queries with the answers the test set."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        kind = "history" if b"<ORDERHISTORY>" in body else "status"
        payload = self.server.answers[kind]  # type: ignore[attr-defined]
        self.server.asked.append(kind)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def bank() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorded)
    server.answers = {}  # type: ignore[attr-defined]
    server.asked = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def answering(bank: ThreadingHTTPServer, *, status=None, history=None) -> NestPayApi:
    bank.answers = {  # type: ignore[attr-defined]
        "status": cc5_response(status) if status else b"",
        "history": cc5_response(history) if history else b"",
    }
    port = bank.server_address[1]
    return NestPayApi(f"http://127.0.0.1:{port}/fim/api", "100100000", "api", "secret", timeout=5)


def test_a_captured_sale_is_found_and_approved(bank) -> None:
    status = answering(bank, status=SALE_CAPTURED).inquiry("2024010354F1")

    assert status.found and status.approved
    assert not (status.no_record or status.voided)
    assert status.trans_stat == "C"
    assert (status.amount, status.captured) == (Decimal("1.01"), Decimal("1.01"))
    assert (status.trans_id, status.auth_code, status.host_ref_num) == (
        "24003Vl7F13152", "P77974", "400300744233",
    )  # fmt: skip
    assert status.proc_return_code == "00"
    assert status.auth_time == status.capture_time == "2024-01-03 21:37:57.259"
    assert (status.response, status.err_msg) == ("Approved", "Record(s) found for 2024010354F1")


def test_an_authorized_sale_is_approved_with_nothing_captured(bank) -> None:
    status = answering(bank, status=SALE_AUTHORIZED).inquiry("20221030FAC5")

    assert status.found and status.approved
    assert status.trans_stat == "A"
    assert (status.amount, status.captured) == (Decimal("1.01"), Decimal("0.00"))


def test_a_voided_sale_is_found_voided_and_not_approved(bank) -> None:
    status = answering(bank, status=SALE_VOIDED).inquiry("20240103BBF9")

    assert status.found and status.voided
    assert not status.approved  # the query said "Approved", the sale is gone
    assert status.response == "Approved"
    assert status.void_time == "2024-01-03 21:49:44.301"
    assert status.amount == Decimal("1.01")


def test_an_unknown_order_is_no_record_not_found(bank) -> None:
    status = answering(bank, status=NO_RECORD).inquiry("2022103088D22")

    assert status.no_record and not status.found
    assert not (status.approved or status.voided)
    assert (status.trans_stat, status.amount, status.trans_id) == ("", Decimal(0), "")
    assert status.err_msg == "No record found for 2022103088D22"


def test_the_turkish_no_record_text_is_understood_too(bank) -> None:
    top, extra = NO_RECORD
    answer = ({**top, "ErrMsg": "Kayıt bulunamadı"}, extra)
    assert answering(bank, status=answer).inquiry("X").no_record


def test_the_summary_string_stands_in_for_missing_elements(bank) -> None:
    top, extra = SALE_CAPTURED
    only_summary = {"NUMCODE": "0", "ORDERSTATUS": extra["ORDERSTATUS"]}

    status = answering(bank, status=(top, only_summary)).inquiry("2024010354F1")

    assert status.found and status.approved
    assert (status.trans_stat, status.amount) == ("C", Decimal("1.01"))
    assert status.capture_time == "2024-01-03 21:37:57.259"  # split at the first colon only


def test_after_a_refund_the_inquiry_still_reports_the_sale(bank) -> None:
    # The recorded ORDERSTATUS describes a credit (CHARGE_TYPE_CD C, 2.01); the history answer is
    # the put-together one above, so the sale's own row (1.01) must be what the client reports.
    api = answering(bank, status=LATEST_IS_A_CREDIT, history=SALE_TWO_CREDITS)

    status = api.inquiry("20240128C0B7")

    assert bank.asked == ["status", "history"]
    assert status.found and status.approved and not status.voided
    assert (status.trans_stat, status.amount) == ("C", Decimal("1.01"))
    assert (status.trans_id, status.auth_code) == ("24001WPbH16694", "P14578")


def test_a_credit_without_a_sale_in_the_history_is_unknown(bank) -> None:
    api = answering(bank, status=LATEST_IS_A_CREDIT, history=HISTORY_NO_RECORD)
    with pytest.raises(NestPayUnreachable):
        api.inquiry("20240128C0B7")


def test_a_history_with_a_voided_sale_and_a_refused_credit(bank) -> None:
    history = answering(bank, history=VOIDED_SALE_REFUSED_CREDIT).history("20240102D8F1", "TRY")

    assert history.found and not history.no_record
    assert history.sale_voided
    assert history.refunded == Decimal(0)  # the credit was refused
    sale, refused = history.transactions  # oldest first
    assert sale is history.sale
    assert (sale.charge_type, sale.trans_stat, sale.amount, sale.captured) == (
        "S", "V", Decimal("1.01"), Decimal("1.01"),
    )  # fmt: skip
    assert (sale.host_ref_num, sale.auth_code, sale.proc_return_code, sale.trans_id) == (
        "400200744059", "P78955", "00", "24002V29G19979",
    )  # fmt: skip
    assert sale.void_time == "2024-01-02 21:53:01.297"
    assert (refused.charge_type, refused.trans_stat, refused.amount) == ("C", "D", Decimal("1.00"))
    assert (refused.proc_return_code, refused.auth_code, refused.host_ref_num) == ("99", "", "")
    assert not refused.succeeded


def test_a_history_with_a_sale_and_two_credits_adds_the_credits_up(bank) -> None:
    history = answering(bank, history=SALE_TWO_CREDITS).history("202401010C20", "TRY")

    assert history.found and not history.sale_voided
    assert history.refunded == Decimal("1.01")
    assert history.sale is not None and history.sale.amount == Decimal("1.01")
    assert [row.charge_type for row in history.transactions] == ["S", "C", "C"]
    assert [row.amount for row in history.transactions[1:]] == [Decimal("0.40"), Decimal("0.61")]


def test_a_history_with_an_authorization_only(bank) -> None:
    history = answering(bank, history=ONE_PRE_AUTH).history("20240101CCCF", "TRY")

    assert history.sale is not None
    assert (history.sale.trans_stat, history.sale.amount) == ("A", Decimal("2.05"))
    assert history.sale.captured == Decimal("0.00")
    assert history.sale.succeeded and history.refunded == Decimal(0)


def test_a_history_of_an_unknown_order_is_no_record(bank) -> None:
    history = answering(bank, history=HISTORY_NO_RECORD).history("20221030B3FF2", "TRY")

    assert history.no_record and not history.found
    assert history.transactions == [] and history.sale is None
    assert history.err_msg == "No record found for 20221030B3FF2"


def _with(answer, **extra: str):
    top, fields = answer
    return top, {**fields, **extra}


@pytest.mark.parametrize(
    "answer",
    [
        # a column less: the amounts would shift
        _with(ONE_PRE_AUTH, TRX1="S\tA\t205\t\t2024-01-01 22:28:30.716\t\t400100743899\tT56045\t00"
              "\t24001WceJ18839"),
        _with(ONE_PRE_AUTH, TRX1="S\tA\t2,05\t\t\t\t\t\t\t00\t1"),  # not minor units
        _with(ONE_PRE_AUTH, TRX1="X\tC\t205\t205\t\t\t\t\t\t00\t1"),  # an unknown charge type
        _with(ONE_PRE_AUTH, TRX1="S\tC\t\t\t\t\t\t\t\t00\t1"),  # no amount
        _with(ONE_PRE_AUTH, TRXCOUNT="2"),  # a row missing
        _with(ONE_PRE_AUTH, TRX2="C\tC\t1\t1\t\t\t\t\t\t00\t2"),  # more rows than counted
        _with(ONE_PRE_AUTH, TRXCOUNT="one"),
    ],
)  # fmt: skip
def test_an_unreadable_history_is_unknown_never_a_wrong_number(bank, answer) -> None:
    with pytest.raises(NestPayUnreachable):
        answering(bank, history=answer).history("20240101CCCF", "TRY")
