"""What staff, the catalogue or the customer's contract can change under a quote, and how the
quote stays answerable and its conversion stays what was agreed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.documents.services import invoice_void
from billing.models import Invoice
from contracts.models import VatRegime
from core.roles import SYSTEM
from quotes.approval import quote_approve, quote_invoice_balance
from quotes.lifecycle import quote_duplicate, quote_expire, quote_revise, quote_send
from quotes.models import LineKind, QuoteLine, QuoteStatus
from quotes.services import quote_add_line, quote_delete_draft, quote_lines_save
from tests.factories import TariffFactory
from tests.quotes.helpers import TODAY, approval, pending_quote, sent_quote

pytestmark = pytest.mark.django_db


class TestTheCatalogue:
    def test_a_line_moved_to_another_tariff_drops_the_options_that_tariff_does_not_offer(
        self, world
    ):
        quote = pending_quote(world.alpha)
        line = quote.lines.get(kind=LineKind.RECURRING)
        assert line.options.count() == 1
        line.tariff = TariffFactory(module__tenant=world.acme, price="30.00")
        quote_lines_save(quote=quote, lines=[line], deleted=[], actor=SYSTEM)
        assert line.options.count() == 0
        sent = quote_send(quote=quote, actor=SYSTEM, today=TODAY)
        approved = quote_approve(quote=sent, actor=world.alice, approval=approval(), today=TODAY)
        assert approved.status == QuoteStatus.CONVERTED

    def test_a_tariff_taken_off_sale_before_sending_is_refused_at_send(self, world):
        quote = pending_quote(world.alpha)
        tariff = quote.lines.get(kind=LineKind.RECURRING).tariff
        tariff.is_active = False
        tariff.save(update_fields=["is_active"])
        with pytest.raises(ValidationError, match="not on sale"):
            quote_send(quote=quote, actor=SYSTEM, today=TODAY)
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.DRAFT and quote.number == ""

    def test_a_negative_price_per_period_is_refused(self, world):
        quote = pending_quote(world.alpha)
        line = quote.lines.get(kind=LineKind.RECURRING)
        line.unit_price = Decimal("-1")
        with pytest.raises(ValidationError, match="cannot be negative"):
            quote_lines_save(quote=quote, lines=[line], deleted=[], actor=SYSTEM)


class TestAmounts:
    def test_a_line_too_large_to_store_is_a_clear_error_and_nothing_is_kept(self, world):
        quote = pending_quote(world.alpha, recurring=False)
        with pytest.raises(ValidationError) as refused:
            quote_add_line(
                quote=quote,
                description="Everything",
                unit_price=Decimal("999999999999999"),
                quantity=Decimal("99999999"),
                actor=SYSTEM,
            )
        assert refused.value.code == "too_large"
        assert not QuoteLine.objects.filter(description="Everything").exists()

    def test_a_quote_coming_to_less_than_zero_is_not_sent(self, world):
        quote = pending_quote(world.alpha, recurring=False)
        quote_add_line(
            quote=quote, description="Goodwill", unit_price=Decimal("-5000"), actor=SYSTEM
        )
        with pytest.raises(ValidationError, match="less than zero"):
            quote_send(quote=quote, actor=SYSTEM, today=TODAY)

    def test_a_deposit_of_the_whole_total_invoices_the_one_off_lines_at_once(self, world):
        quote = sent_quote(world.alpha, recurring=False, deposit=("percent", Decimal(100)))
        quote = quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        assert quote.deposit_invoice is None
        assert quote.invoice.gross_amount == quote.gross_amount
        assert quote.invoice.lines.count() == 2


class TestTheDeposit:
    def test_a_voided_deposit_is_not_deducted_from_the_balance(self, world):
        staff = world.staff["acme", "manager"]
        quote = sent_quote(world.alpha, staff=staff, deposit=("percent", Decimal(30)))
        quote = quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        invoice_void(invoice=quote.deposit_invoice, actor=staff, reason="Sent in error")
        with pytest.raises(ValidationError) as refused:
            quote_invoice_balance(quote=quote, actor=staff, today=TODAY)
        assert refused.value.code == "deposit_void"
        assert Invoice.objects.filter(customer=world.alpha).count() == 1


class TestTheContract:
    def test_a_changed_vat_regime_asks_for_a_revised_quote(self, world):
        quote = sent_quote(world.alpha)
        world.alpha.vat_regime = VatRegime.REVERSE_CHARGE
        world.alpha.vat_id = "FR40303265045"
        world.alpha.save(update_fields=["vat_regime", "vat_id"])
        with pytest.raises(ValidationError) as refused:
            quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        assert refused.value.code == "vat_regime"
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.SENT

    def test_a_copy_for_another_customer_carries_that_customers_po_number(self, world):
        world.bravo.po_number = "BRAVO-1"
        world.bravo.save(update_fields=["po_number"])
        quote = sent_quote(world.alpha)
        copy = quote_duplicate(quote=quote, actor=SYSTEM, today=TODAY, customer=world.bravo)
        assert copy.po_number == "BRAVO-1"

    def test_no_copy_for_a_closed_account(self, world):
        world.bravo.closed_at = world.bravo.created_at
        world.bravo.save(update_fields=["closed_at"])
        with pytest.raises(ValidationError, match="closed"):
            quote_duplicate(
                quote=sent_quote(world.alpha), actor=SYSTEM, today=TODAY, customer=world.bravo
            )


class TestRevisions:
    @pytest.mark.parametrize("expired", [False, True])
    def test_deleting_an_unsent_revision_gives_the_old_version_back(self, world, expired):
        quote = sent_quote(world.alpha)
        if expired:
            quote = quote_expire(quote=quote, actor=SYSTEM)
        revision = quote_revise(quote=quote, actor=SYSTEM, today=TODAY + timedelta(days=1))
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.SUPERSEDED
        quote_delete_draft(quote=revision, actor=SYSTEM)
        quote.refresh_from_db()
        assert quote.status == (QuoteStatus.EXPIRED if expired else QuoteStatus.SENT)
        assert quote.events.last().kind == "revision_dropped"
