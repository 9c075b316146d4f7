"""A globex customer pays an invoice at the business's bank (NestPay 3D Pay Hosting, the
simulator) in real Chromium: picks 3 installments on Kontor's pay page, types the card on the
bank's 3-D page, comes back to the invoice paid — and no card number ever reaches Kontor."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import Invoice, NestPayOrder, Payment
from billing.payments.nestpay.messages import bank_message
from billing.payments.nestpay.simulator.cards import (
    CARD_APPROVED,
    CARD_INSUFFICIENT_FUNDS,
    outcome_for,
)
from contracts.models import Contact
from core.models import Tenant
from core.roles import SYSTEM
from portal.demo import DEMO_PASSWORD
from tests.conftest import pay_at_bank_through
from tests.e2e.conftest import tenant_url
from tests.e2e.test_card_payment_journey import every_stored_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "customer1@globex.test"  # owner contact of Initech SARL, globex's first customer
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 360, "height": 780}


def globex_at_the_bank(simulator) -> tuple[Tenant, Invoice]:
    """The demo, with globex taking cards through the simulator, and an open invoice of at least
    1,000 TRY (installments are offered from there) for the customer logged in as."""
    call_command("seed_demo")
    globex = Tenant.objects.get(slug="globex")
    pay_at_bank_through(simulator, globex)
    customer = Contact.objects.get(user__email=CUSTOMER).customer
    for invoice in Invoice.objects.filter(customer=customer, status="open", currency="TRY"):
        if invoice.amount_due >= Decimal(1000):
            return globex, invoice
    invoice = invoice_create_draft(customer=customer, actor=SYSTEM, currency="TRY")
    invoice_add_line(
        invoice=invoice,
        description="Hosting",
        quantity=Decimal(1),
        unit_price=Decimal(1500),
        actor=SYSTEM,
    )
    return globex, invoice_finalize(invoice=invoice, actor=SYSTEM, today=date.today())


def log_in(page, live_server, path: str) -> None:
    page.goto(tenant_url(live_server, "globex", path))
    page.fill("input[name=login]", CUSTOMER)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")


def shoot_both(page, shoot, name: str) -> None:
    """The page as it is at desktop width, then at phone width (where nothing may stick out
    sideways: the page itself does not scroll horizontally)."""
    shoot(f"e2e-nestpay-{name}-desktop")
    page.set_viewport_size(PHONE)
    shoot(f"e2e-nestpay-{name}-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    page.set_viewport_size(DESKTOP)


def to_the_bank(page, live_server, invoice: Invoice, installments: str | None = None) -> None:
    """From the invoice, through Kontor's pay page, to the bank's 3-D page."""
    page.goto(tenant_url(live_server, "globex", f"/invoices/{invoice.pk}/"))
    page.click(f"a[href='/invoices/{invoice.pk}/pay/']")
    page.wait_for_selector("text=Continue to your bank")
    if installments:
        page.check(f"input[name=installments][value='{installments}']")
    page.click("button:has-text('Continue to your bank')")
    page.wait_for_selector("text=NestPay simulator: 3-D Secure")


def pay_with(page, card: str) -> None:
    page.fill("input[name=cardnumber]", card)
    page.click("button:text-is('Pay')")


def test_pay_an_invoice_in_three_installments_at_the_bank(live_server, page, shoot, nestpay_bank):
    _globex, invoice = globex_at_the_bank(nestpay_bank)
    posted: list[str] = []  # every body the browser sent to Kontor
    page.on(
        "request",
        lambda r: posted.append(r.post_data or "") if "localhost" in r.url else None,
    )
    log_in(page, live_server, f"/invoices/{invoice.pk}/")

    page.click(f"a[href='/invoices/{invoice.pk}/pay/']")
    page.wait_for_selector("text=Continue to your bank")
    for count in (2, 3, 6):
        assert page.is_visible(f"text={count} installments of about")
    shoot_both(page, shoot, "pay")
    page.check("input[name=installments][value='3']")
    page.click("button:has-text('Continue to your bank')")

    page.wait_for_selector("text=NestPay simulator: 3-D Secure")
    assert page.url.startswith(nestpay_bank.url)
    assert page.is_visible("text=installments: 3")
    shoot_both(page, shoot, "bank")
    pay_with(page, CARD_APPROVED)

    page.wait_for_url(tenant_url(live_server, "globex", f"/invoices/{invoice.pk}/"))
    page.wait_for_selector("text=454671******7894")
    assert page.is_visible("text=Thank you")
    shoot_both(page, shoot, "paid")

    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.amount_due == 0
    order = NestPayOrder.objects.get(attempt__invoice=invoice)
    assert order.installments == 3 and order.answered_by == "ok_url"
    assert Payment.objects.filter(allocations__invoice=invoice).count() == 1

    page.goto(tenant_url(live_server, "globex", "/invoices/"))
    page.wait_for_selector(f"text={invoice.number}")
    assert not page.is_visible("input[name=password]")  # still logged in

    assert any("installments=3" in body for body in posted)  # the pay form did reach Kontor
    assert not any(CARD_APPROVED in body for body in posted)
    assert CARD_APPROVED not in every_stored_text()


def test_a_declined_card_brings_the_customer_back_with_the_reason(
    live_server, page, shoot, nestpay_bank
):
    _globex, invoice = globex_at_the_bank(nestpay_bank)
    log_in(page, live_server, f"/invoices/{invoice.pk}/")
    to_the_bank(page, live_server, invoice)
    pay_with(page, CARD_INSUFFICIENT_FUNDS)

    declined = outcome_for(CARD_INSUFFICIENT_FUNDS)
    with translation.override("en"):
        reason = bank_message(
            md_status=declined.md_status, proc_return_code=declined.proc_return_code
        )
    page.wait_for_selector(f"text={reason}")
    assert page.url.startswith(tenant_url(live_server, "globex", f"/invoices/{invoice.pk}/"))
    shoot_both(page, shoot, "declined")
    invoice.refresh_from_db()
    assert invoice.status == "open"
    assert not Payment.objects.filter(allocations__invoice=invoice).exists()
