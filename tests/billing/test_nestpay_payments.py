"""Paying invoices at a NestPay bank, end to end against the simulator (a separate process):
the portal signs the order, the "browser" takes it through the bank's 3-D gate and test-card
page, and the bank's back-post is sent to Kontor's ok or fail URL as the customer's browser
would, without the session cookie."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from billing.documents.emails import invoice_message
from billing.documents.links import invoice_link_path
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import (
    Invoice,
    NestPayOrder,
    Payment,
    PaymentAttempt,
    PaymentSettings,
    Refund,
    TaxRate,
)
from billing.payments.gateways import GatewayError, gateway_for
from billing.payments.nestpay.client import NestPayApi
from billing.payments.nestpay.simulator.cards import (
    CARD_3D_FAILS,
    CARD_APPROVED,
    CARD_HALF_SECURE,
    CARD_INSUFFICIENT_FUNDS,
)
from billing.payments.nestpay_payments import nestpay_reconcile
from billing.payments.refunds import credit_note_refund, refund_send
from core.roles import SYSTEM
from subscriptions.models import Package
from tests.billing.test_checkout import place
from tests.conftest import client_for, pay_at_bank_through
from tests.factories import ModuleFactory, TariffFactory
from tests.nestpay_fake import API_PASSWORD, API_USER, CLIENT_ID

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 1)


@pytest.fixture
def nestpay_acme(world, nestpay_bank):
    """acme takes cards at its bank (isbank) through the simulator: TRY and EUR, 2, 3 or 6
    installments from 1,000 TRY."""
    bank = nestpay_bank
    pay_at_bank_through(bank, world.acme, nestpay_currencies=["TRY", "EUR"])
    TaxRate.objects.create(tenant=world.acme, name="KDV", rate=Decimal(20), is_default=True)
    return bank


def try_invoice(world, quantity="1", price="1000"):
    """An open invoice of alice's customer in lira: 1,000 + 20 % KDV = 1,200 TRY."""
    invoice = invoice_create_draft(customer=world.alpha, actor=SYSTEM, currency="TRY")
    invoice_add_line(
        invoice=invoice,
        description="Hosting",
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        actor=SYSTEM,
    )
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=TODAY)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((values.get("action", ""), {}))
        elif tag == "input" and self.forms and values.get("type") == "hidden":
            self.forms[-1][1][values.get("name", "")] = values.get("value", "")


def gate_form(html: str, bank) -> dict[str, str]:
    """The form the page sends to the bank's gate (its action is the simulator's)."""
    parser = _Forms()
    parser.feed(html)
    found = [f for action, f in parser.forms if action.startswith(bank.url)]
    assert len(found) == 1, html
    (fields,) = found
    return fields


def send_to_bank(world, bank, invoice, data=None, client=None, path=None):
    client = client or world.client(world.alice)
    response = client.post(path or f"/invoices/{invoice.pk}/pay/", data or {})
    assert response.status_code == 200, response.content.decode()[:2000]
    return gate_form(response.content.decode(), bank)


def back_post(world, url: str, fields: dict[str, str]):
    """The bank's page posts its answer from the customer's browser: no session cookie."""
    return client_for(None, world.acme).post(urlsplit(url).path, fields)


def pay_at_bank(world, bank, invoice, card=CARD_APPROVED, data=None):
    fields = send_to_bank(world, bank, invoice, data)
    url, answer = bank.browser_pays(fields, card)
    return url, answer, back_post(world, url, answer)


def test_one_payment_is_signed_taken_to_the_bank_and_recorded_from_its_answer(world, nestpay_acme):
    invoice = try_invoice(world)
    page = world.client(world.alice).get(f"/invoices/{invoice.pk}/pay/").content.decode()
    assert "Continue to your bank" in page and "3 installments" in page
    fields = send_to_bank(world, nestpay_acme, invoice)
    assert fields["amount"] == "1200.00" and fields["currency"] == "949"
    assert fields["taksit"] == "" and fields["hashAlgorithm"] == "ver3"
    assert fields["okUrl"].endswith("/pay/nestpay/ok/") and "pan" not in fields
    url, answer = nestpay_acme.browser_pays(fields, CARD_APPROVED)
    assert url == fields["okUrl"]
    response = back_post(world, url, answer)
    assert response.status_code == 302 and response["Location"] == f"/invoices/{invoice.pk}/"
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.amount_due == 0
    attempt = PaymentAttempt.objects.get(invoice=invoice)
    assert attempt.status == "succeeded" and attempt.payment.amount == Decimal("1200.00")
    assert attempt.payment.reference == answer["TransId"]
    order = attempt.nestpay_order
    assert order.answered_by == "ok_url" and order.masked_pan == "454671******7894"
    # The answer's post carried no session, and made none: the customer stays logged in and,
    # back on the portal, reads how it went (the browser keeps one cookie jar).
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    alice = world.client(world.alice)
    alice.cookies["messages"] = response.cookies["messages"].value
    page = alice.get(response["Location"]).content.decode()
    assert "454671******7894" in page


def test_installments_are_offered_above_the_minimum_and_sent_to_the_bank(world, nestpay_acme):
    invoice = try_invoice(world)
    fields = send_to_bank(world, nestpay_acme, invoice, {"installments": "3"})
    assert fields["taksit"] == "3"
    url, answer = nestpay_acme.browser_pays(fields, CARD_APPROVED)
    back_post(world, url, answer)
    order = NestPayOrder.objects.get()
    assert order.installments == 3 and order.attempt.status == "succeeded"
    status = NestPayApi(f"{nestpay_acme.url}/fim/api", CLIENT_ID, API_USER, API_PASSWORD).inquiry(
        order.oid, "TRY"
    )
    assert status.approved and status.amount == Decimal("1200.00")


def test_installments_below_the_minimum_are_not_offered_nor_accepted(world, nestpay_acme):
    small = try_invoice(world, price="500")  # 600 TRY
    client = world.client(world.alice)
    assert "installments of about" not in client.get(f"/invoices/{small.pk}/pay/").content.decode()
    fields = send_to_bank(world, nestpay_acme, small, {"installments": "3"})  # forged: ignored
    assert fields["taksit"] == "" and NestPayOrder.objects.get().installments is None
    large = try_invoice(world)
    response = client.post(f"/invoices/{large.pk}/pay/", {"installments": "7"})  # not offered
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert NestPayOrder.objects.count() == 1


@pytest.mark.parametrize(
    ("card", "words"),
    [
        (CARD_3D_FAILS, "3-D Secure"),
        (CARD_INSUFFICIENT_FUNDS, "not enough"),
    ],
)
def test_a_failed_3d_check_or_a_decline_leaves_the_invoice_open_and_says_why(
    world, nestpay_acme, card, words
):
    invoice = try_invoice(world)
    url, _answer, response = pay_at_bank(world, nestpay_acme, invoice, card)
    assert url.endswith("/pay/nestpay/fail/") and response.status_code == 302
    assert response["Location"] == f"/invoices/{invoice.pk}/pay/"  # to try again
    invoice.refresh_from_db()
    assert invoice.status == "open" and not Payment.objects.exists()
    attempt = PaymentAttempt.objects.get()
    assert attempt.status == "failed" and words.lower() in attempt.failure_message.lower()


def test_a_half_secure_payment_the_bank_approved_is_recorded(world, nestpay_acme):
    invoice = try_invoice(world)
    pay_at_bank(world, nestpay_acme, invoice, CARD_HALF_SECURE)
    invoice.refresh_from_db()
    assert invoice.status == "paid"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda a: a.update(Response="Approved", ProcReturnCode="00", mdStatus="1"),
        lambda a: a.update(amount="1.00"),
        lambda a: a.pop("HASH"),
        lambda a: a.update(HASH="x" + a["HASH"][1:]),
    ],
    ids=["declined-made-approved", "amount", "no-hash", "bad-hash"],
)
def test_an_answer_without_the_banks_valid_hash_is_refused_and_changes_nothing(
    world, nestpay_acme, tamper
):
    invoice = try_invoice(world)
    fields = send_to_bank(world, nestpay_acme, invoice)
    url, answer = nestpay_acme.browser_pays(fields, CARD_INSUFFICIENT_FUNDS)
    tamper(answer)
    response = back_post(world, url, answer)
    assert response.status_code == 400
    assert "valid signature" in response.content.decode()
    attempt = PaymentAttempt.objects.get()
    assert attempt.status == "requires_action" and attempt.nestpay_order.answered_at is None
    assert not Payment.objects.exists()


def test_an_answer_for_another_business_is_refused(world, nestpay_acme):
    invoice = try_invoice(world)
    fields = send_to_bank(world, nestpay_acme, invoice)
    url, answer = nestpay_acme.browser_pays(fields, CARD_APPROVED)
    response = client_for(None, world.globex).post(urlsplit(url).path, answer)
    assert response.status_code == 400 and not Payment.objects.exists()


def test_the_answer_posted_twice_and_on_both_urls_is_recorded_once(world, nestpay_acme):
    invoice = try_invoice(world)
    fields = send_to_bank(world, nestpay_acme, invoice)
    url, answer = nestpay_acme.browser_pays(fields, CARD_APPROVED)
    fail_url = fields["failUrl"]
    assert back_post(world, fail_url, answer).status_code == 302  # first: wins
    assert back_post(world, url, answer).status_code == 302
    assert back_post(world, url, answer).status_code == 302
    assert Payment.objects.count() == 1
    order = NestPayOrder.objects.get()
    assert order.answered_by == "fail_url" and order.attempt.status == "succeeded"
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("1200.00")


def test_a_second_try_after_a_decline_is_a_new_order(world, nestpay_acme):
    invoice = try_invoice(world)
    pay_at_bank(world, nestpay_acme, invoice, CARD_INSUFFICIENT_FUNDS)
    pay_at_bank(world, nestpay_acme, invoice, CARD_APPROVED)
    oids = set(NestPayOrder.objects.values_list("oid", flat=True))
    assert len(oids) == 2
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_an_abandoned_payment_is_settled_by_the_banks_order_inquiry(world, nestpay_acme):
    paid = try_invoice(world)
    fields = send_to_bank(world, nestpay_acme, paid)
    nestpay_acme.browser_pays(fields, CARD_APPROVED)  # ... and the browser is closed
    never_at_bank = try_invoice(world)
    send_to_bank(world, nestpay_acme, never_at_bank)
    soon = timezone.now() + timedelta(minutes=5)
    assert nestpay_reconcile(tenant=world.acme, now=soon) == 0  # the customer may still type
    later = timezone.now() + timedelta(minutes=20)
    assert nestpay_reconcile(tenant=world.acme, now=later) == 1
    paid.refresh_from_db()
    assert paid.status == "paid"
    order = NestPayOrder.objects.get(attempt__invoice=paid)
    assert order.answered_by == "inquiry" and order.attempt.payment is not None
    assert nestpay_reconcile(tenant=world.acme, now=timezone.now() + timedelta(hours=2)) == 1
    gone = PaymentAttempt.objects.get(invoice=never_at_bank)
    assert gone.status == "failed" and "not completed" in gone.failure_message
    never_at_bank.refresh_from_db()
    assert never_at_bank.status == "open"


def _bank_history(bank, oid):
    return NestPayApi(f"{bank.url}/fim/api", CLIENT_ID, API_USER, API_PASSWORD).history(oid, "TRY")


def test_a_full_refund_on_the_day_is_a_void_and_a_retry_sends_nothing_twice(
    world, nestpay_acme, django_capture_on_commit_callbacks
):
    invoice = try_invoice(world)
    pay_at_bank(world, nestpay_acme, invoice)
    order = NestPayOrder.objects.get()
    with django_capture_on_commit_callbacks():  # sent by the test, not the worker
        note = credit_note_refund(invoice=invoice, actor=SYSTEM, today=TODAY, reason="Cancelled")
    refund = Refund.objects.get(credit_note=note)
    assert refund.amount == Decimal("1200.00")
    assert refund_send(refund.pk).status == "succeeded"
    refund.refresh_from_db()
    assert refund.gateway_refund_id.startswith("void:")
    assert _bank_history(nestpay_acme, order.oid).sale_voided
    # The answer was lost: the retry finds the void at the bank and sends nothing.
    Refund.objects.filter(pk=refund.pk).update(status="failed", gateway_refund_id="")
    assert refund_send(refund.pk).status == "succeeded"
    assert _bank_history(nestpay_acme, order.oid).sale_voided


def test_a_partial_refund_is_a_credit_and_a_lost_answer_is_not_paid_twice(
    world, nestpay_acme, django_capture_on_commit_callbacks
):
    invoice = try_invoice(world, quantity="4", price="250")
    pay_at_bank(world, nestpay_acme, invoice)
    order = NestPayOrder.objects.get()
    line = invoice.lines.get()
    with django_capture_on_commit_callbacks():
        note = credit_note_refund(
            invoice=invoice,
            actor=SYSTEM,
            today=TODAY,
            reason="One seat less",
            quantities={line.pk: Decimal(1)},
        )
    refund = Refund.objects.get(credit_note=note)
    assert refund.amount == Decimal("300.00")
    assert refund_send(refund.pk).status == "succeeded"
    refund.refresh_from_db()
    assert refund.gateway_refund_id.startswith("credit:")
    assert _bank_history(nestpay_acme, order.oid).refunded == Decimal("300.00")
    # Kontor never heard back (marked failed); the retry asks the bank first.
    Refund.objects.filter(pk=refund.pk).update(status="failed", gateway_refund_id="")
    assert refund_send(refund.pk).status == "succeeded"
    assert _bank_history(nestpay_acme, order.oid).refunded == Decimal("300.00")
    # A second credit note for another seat: sent, on top.
    with django_capture_on_commit_callbacks():
        second = credit_note_refund(
            invoice=invoice,
            actor=SYSTEM,
            today=TODAY,
            reason="Another seat less",
            quantities={line.pk: Decimal(1)},
        )
    assert refund_send(Refund.objects.get(credit_note=second).pk).status == "succeeded"
    assert _bank_history(nestpay_acme, order.oid).refunded == Decimal("600.00")


def test_the_invoice_link_pays_at_the_bank_without_a_login(world, nestpay_acme):
    invoice = try_invoice(world)
    link = invoice_link_path(invoice)
    anonymous = client_for(None, world.acme)
    assert "Pay by card" in anonymous.get(link).content.decode()
    fields = send_to_bank(world, nestpay_acme, invoice, client=anonymous, path=link + "pay/")
    url, answer = nestpay_acme.browser_pays(fields, CARD_APPROVED)
    response = back_post(world, url, answer)
    assert response["Location"] == link
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_the_invoice_e_mail_of_a_bank_paid_business_carries_a_pay_link(world, nestpay_acme):
    invoice = try_invoice(world)
    message = invoice_message(
        invoice=invoice, template="invoice_issued", recipients=["alice@example.com"]
    )
    assert re.search(r"https://acme\.[^/]+/l/invoice/[^/]+/pay/\n", message.body)
    PaymentSettings.objects.filter(tenant=world.acme).update(gateway="manual")
    message = invoice_message(
        invoice=invoice, template="invoice_issued", recipients=["alice@example.com"]
    )
    assert "/pay/" not in message.body


def test_nothing_is_charged_off_session_for_a_bank_paid_business(world, nestpay_acme):
    gateway = gateway_for(world.acme)
    assert gateway.pays_at_bank and not gateway.takes_cards
    with pytest.raises(GatewayError):
        gateway.charge(None, None)


def test_a_package_bought_in_the_portal_is_paid_at_the_bank_next(world, nestpay_acme):
    package = Package.objects.create(
        tenant=world.acme,
        name="50 tickets",
        kind="credits",
        credits=50,
        price="1500.00",
        currency="TRY",
    )
    client = world.client(world.alice)
    page = client.get(f"/credits/packages/{package.pk}/").content.decode()
    assert "bank's secure page" in page
    response = client.post(f"/credits/packages/{package.pk}/", {})
    invoice = Invoice.objects.get(customer=world.alpha, currency="TRY")
    assert response.status_code == 302
    assert response["Location"] == f"/invoices/{invoice.pk}/pay/"
    fields = send_to_bank(world, nestpay_acme, invoice, {"installments": "6"})
    url, answer = nestpay_acme.browser_pays(fields, CARD_APPROVED)
    back_post(world, url, answer)
    invoice.refresh_from_db()
    assert invoice.status == "paid" and NestPayOrder.objects.get().installments == 6


def test_an_order_starts_and_its_first_invoice_is_paid_at_the_bank_next(world, nestpay_acme):
    tariff = TariffFactory(
        module=ModuleFactory(tenant=world.acme, name="Hosting"),
        name="Pro",
        price="1000.00",
        currency="TRY",
    )
    client = world.client(world.alice)
    assert "bank's secure page" in client.get(f"/order/tariffs/{tariff.pk}/").content.decode()
    response = place(client, tariff)
    invoice = Invoice.objects.get(customer=world.alpha, currency="TRY")
    assert response["Location"] == f"/invoices/{invoice.pk}/pay/"
    url, answer = nestpay_acme.browser_pays(send_to_bank(world, nestpay_acme, invoice))
    back_post(world, url, answer)
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_3d_pay_puts_the_card_fields_on_the_page_unsigned_and_posts_them_to_the_bank(
    world, nestpay_acme
):
    PaymentSettings.objects.filter(tenant=world.acme).update(nestpay_store_type="3d_pay")
    invoice = try_invoice(world)
    response = world.client(world.alice).post(f"/invoices/{invoice.pk}/pay/", {})
    page = response.content.decode()
    gate = page.split(f'action="{nestpay_acme.url}/fim/est3Dgate"')[1].split("</form>")[0]
    for name in ("pan", "Ecom_Payment_Card_ExpDate_Month", "Ecom_Payment_Card_ExpDate_Year"):
        assert f'name="{name}"' in gate  # typed here, sent straight to the bank
    assert 'name="cv2"' in gate and "data-submit-on-load" not in gate
    fields = gate_form(page, nestpay_acme)
    assert "pan" not in fields and fields["storetype"] == "3d_pay"
    url, answer = nestpay_acme.browser_pays_3d_pay(fields, CARD_APPROVED)
    assert "pan" not in answer and answer["maskedCreditCard"].endswith("7894")
    back_post(world, url, answer)
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_a_lost_refund_answer_is_settled_before_a_newer_refund_of_the_same_payment(
    world, nestpay_acme, django_capture_on_commit_callbacks
):
    invoice = try_invoice(world, quantity="4", price="250")
    pay_at_bank(world, nestpay_acme, invoice)
    order = NestPayOrder.objects.get()
    line = invoice.lines.get()

    def one_seat_back(reason):
        with django_capture_on_commit_callbacks():  # not sent by a worker: by the test
            note = credit_note_refund(
                invoice=invoice,
                actor=SYSTEM,
                today=TODAY,
                reason=reason,
                quantities={line.pk: Decimal(1)},
            )
        return Refund.objects.get(credit_note=note)

    first = one_seat_back("First seat")
    # The bank paid the first back, but its answer never reached Kontor.
    api = NestPayApi(f"{nestpay_acme.url}/fim/api", CLIENT_ID, API_USER, API_PASSWORD)
    assert api.credit(order.oid, Decimal("300.00"), "TRY").approved
    Refund.objects.filter(pk=first.pk).update(status="failed", failure_message="timeout")
    second = one_seat_back("Second seat")
    assert refund_send(second.pk).status == "succeeded"
    first.refresh_from_db()
    assert first.status == "succeeded" and first.gateway_refund_id.endswith(":confirmed")
    assert _bank_history(nestpay_acme, order.oid).refunded == Decimal("600.00")


def test_an_inquiry_that_finds_a_declined_sale_fails_the_attempt(world, nestpay_acme):
    invoice = try_invoice(world)
    fields = send_to_bank(world, nestpay_acme, invoice)
    nestpay_acme.browser_pays(fields, CARD_INSUFFICIENT_FUNDS)  # the answer is lost
    assert nestpay_reconcile(tenant=world.acme, now=timezone.now() + timedelta(minutes=20)) == 1
    attempt = PaymentAttempt.objects.get()
    assert attempt.status == "failed" and "not enough" in attempt.failure_message
    assert attempt.nestpay_order.answered_at is None  # a verified back-post would still count


def test_the_pay_page_warns_of_a_payment_still_at_the_bank(world, nestpay_acme):
    invoice = try_invoice(world)
    send_to_bank(world, nestpay_acme, invoice)
    page = world.client(world.alice).get(f"/invoices/{invoice.pk}/pay/").content.decode()
    assert "was started at your bank" in page


def test_a_refund_waits_while_an_earlier_ones_outcome_is_unknown(
    world, nestpay_acme, django_capture_on_commit_callbacks
):
    invoice = try_invoice(world, quantity="4", price="250")
    pay_at_bank(world, nestpay_acme, invoice)
    order = NestPayOrder.objects.get()
    line = invoice.lines.get()
    refunds = []
    for reason in ("First seat", "Second seat"):
        with django_capture_on_commit_callbacks():
            note = credit_note_refund(
                invoice=invoice,
                actor=SYSTEM,
                today=TODAY,
                reason=reason,
                quantities={line.pk: Decimal(1)},
            )
        refunds.append(Refund.objects.get(credit_note=note))
    first, second = refunds
    # The bank cannot be reached: the first refund's outcome is unknown, so the second waits.
    settings_row = PaymentSettings.objects.get(tenant=world.acme)
    PaymentSettings.objects.filter(pk=settings_row.pk).update(
        nestpay_api_url="http://127.0.0.1:9/fim/api"
    )
    assert refund_send(second.pk).status == "failed"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "failed" and first.failure_code == "unreachable"
    assert second.failure_code == "earlier"
    assert _bank_history(nestpay_acme, order.oid).refunded == 0
    # Back: the first is sent, then the second; each once.
    PaymentSettings.objects.filter(pk=settings_row.pk).update(
        nestpay_api_url=settings_row.nestpay_api_url
    )
    assert refund_send(second.pk).status == "succeeded"
    first.refresh_from_db()
    assert first.status == "succeeded"
    assert _bank_history(nestpay_acme, order.oid).refunded == Decimal("600.00")


def test_a_failed_refund_paid_back_by_hand_is_never_sent_again(
    world, nestpay_acme, django_capture_on_commit_callbacks
):
    invoice = try_invoice(world)
    pay_at_bank(world, nestpay_acme, invoice)
    with django_capture_on_commit_callbacks():
        note = credit_note_refund(invoice=invoice, actor=SYSTEM, today=TODAY, reason="Gone")
    refund = Refund.objects.get(credit_note=note)
    Refund.objects.filter(pk=refund.pk).update(status="failed", failure_code="refused")
    manager = client_for(world.staff["acme", "manager"], world.acme)
    manager.post(
        "/manage/billing/refund/", {"action": "paid_by_hand", "_selected_action": [refund.pk]}
    )
    refund.refresh_from_db()
    assert refund.status == "manual"
    assert refund_send(refund.pk).status == "manual"
    assert _bank_history(nestpay_acme, NestPayOrder.objects.get().oid).refunded == 0
