"""Approval converts a quote into exactly the invoice and subscriptions it offered, once."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from billing.documents.calculations import totals
from billing.models import Invoice, InvoiceStatus
from contracts.models import Contact
from core.roles import SYSTEM
from quotes.approval import quote_approve, quote_decline, quote_invoice_balance
from quotes.lifecycle import quote_send
from quotes.models import QuoteStatus
from subscriptions.models import Subscription
from tests.quotes.helpers import TODAY, approval, pending_quote

pytestmark = pytest.mark.django_db


def sent(customer, **kwargs):
    quote = pending_quote(customer, **kwargs)
    return quote_send(quote=quote, actor=kwargs.get("staff") or SYSTEM, today=TODAY)


class TestApprove:
    def test_one_off_lines_become_one_finalized_invoice_with_the_quotes_totals(self, world):
        quote = sent(world.alpha)
        quote = quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        assert quote.status == QuoteStatus.CONVERTED
        invoice = quote.invoice
        assert invoice.status == InvoiceStatus.OPEN and invoice.number
        lines = list(invoice.lines.order_by("position"))
        assert [(li.description, li.quantity, li.unit_price, li.tax_rate) for li in lines] == [
            ("Set-up", Decimal(1), Decimal("499.9950"), Decimal("20.00")),
            ("Training day", Decimal(3), Decimal("333.3300"), Decimal("10.00")),
        ]
        assert (invoice.net_amount, invoice.tax_amount, invoice.gross_amount) == (
            quote.net_amount,
            quote.tax_amount,
            quote.gross_amount,
        )
        assert quote.gross_amount == Decimal("500.00") + Decimal("100.00") + Decimal(
            "999.99"
        ) + Decimal("100.00")

    def test_recurring_lines_start_subscriptions_at_the_quotes_price(self, world):
        quote = sent(world.alpha)
        quote = quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        (subscription,) = quote.subscriptions.all()
        assert subscription.customer == world.alpha
        assert subscription.started_on == date(2026, 4, 1)
        assert subscription.quantity == 2
        assert subscription.price_items == [
            {"description": subscription.tariff.name, "unit_price": "45.0000"}
        ]
        (booked,) = subscription.options.all()
        assert (booked.quantity, booked.unit_price) == (3, Decimal("5.0000"))
        line = quote.lines.get(kind="recurring")
        assert line.net_amount == Decimal("90.00") + Decimal("15.00")

    def test_approving_twice_converts_once(self, world):
        quote = sent(world.alpha)
        first = quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        again = quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        assert again.invoice_id == first.invoice_id
        assert Invoice.objects.filter(customer=world.alpha).count() == 1
        assert Subscription.objects.filter(customer=world.alpha).count() == 1

    def test_a_deposit_is_the_first_invoice_and_the_balance_deducts_it(self, world):
        staff = world.staff["acme", "billing"]
        quote = sent(world.alpha, staff=staff, deposit=("percent", Decimal(30)))
        quote = quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        deposit = quote.deposit_invoice
        assert quote.invoice is None
        assert deposit.gross_amount == quote.deposit_amount
        by_rate = totals(deposit.lines.all(), currency=deposit.currency).tax_by_rate
        assert by_rate[Decimal("20.00")][0] == Decimal("150.00")
        balance = quote_invoice_balance(quote=quote, actor=staff, today=TODAY)
        assert balance.gross_amount == quote.gross_amount - deposit.gross_amount
        with pytest.raises(ValidationError):
            quote_invoice_balance(quote=quote, actor=staff, today=TODAY)

    def test_a_member_may_not_approve(self, world):
        Contact.objects.filter(user=world.alice).update(role="member")
        quote = sent(world.alpha)
        with pytest.raises(PermissionDenied):
            quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)

    def test_an_expired_or_declined_quote_cannot_be_approved(self, world):
        quote = sent(world.alpha)
        quote_decline(quote=quote, actor=world.alice, reason="Too dear", today=TODAY)
        with pytest.raises(ValidationError) as caught:
            quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        assert caught.value.code == "declined"
        other = sent(world.alpha)
        with pytest.raises(ValidationError) as caught:
            quote_approve(
                quote=other,
                actor=world.alice,
                approval=approval(),
                today=other.valid_until + timedelta(days=1),
            )
        assert caught.value.code == "expired"
