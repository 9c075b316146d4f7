"""Approving a quote: who may, what is recorded (the signature, where from, under which terms),
and the conversion into exactly the invoice and subscriptions offered — once, all or nothing,
however many clicks arrive at the same moment."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from billing.models import Invoice, InvoiceLine, NumberSequence
from contracts.models import Contact
from contracts.services import legal_document_publish
from core.models import AuditEntry
from core.roles import SYSTEM
from quotes.approval import quote_approve, quote_decline
from quotes.lifecycle import quote_expire, quote_send
from quotes.models import QuoteEvent, QuoteStatus
from quotes.services import quote_update
from subscriptions.models import Subscription, SubscriptionOption
from tests.quotes.helpers import TODAY, approval, pending_quote, sent_quote

pytestmark = pytest.mark.django_db
NOW = "2026-03-10 15:30:00+01:00"


class QueuedTasks:
    """The tasks approval queues after commit, recorded instead of sent to a broker."""

    def __init__(self, monkeypatch) -> None:
        self.approved_pdfs: list[int] = []
        self.invoice_emails: list[list[int]] = []
        self.invoice_pdfs: list[dict] = []
        monkeypatch.setattr("quotes.approval.store_approved_pdf.delay", self.approved_pdfs.append)
        monkeypatch.setattr(
            "billing.documents.services.store_pdfs.delay",
            lambda **ids: self.invoice_pdfs.append(ids),
        )
        monkeypatch.setattr(
            "billing.documents.services.send_invoice_emails.delay", self.invoice_emails.append
        )
        monkeypatch.setattr("quotes.lifecycle.send_quote_email.delay", lambda quote_id: None)


@pytest.fixture
def queued(monkeypatch) -> QueuedTasks:
    return QueuedTasks(monkeypatch)


def sent_quote_from(quote, today=TODAY):
    return quote_send(quote=quote, actor=SYSTEM, today=today)


def publish_terms(tenant, version: str):
    return legal_document_publish(
        tenant=tenant, kind="terms", version=version, title="Terms", body="…", actor=SYSTEM
    )


class TestConcurrentApprovals:
    @pytest.mark.django_db(transaction=True)
    def test_approvals_arriving_at_once_convert_the_quote_once(self, world, queued):
        if connection.vendor != "postgresql":
            pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this)")
        # Given a sent quote with one-off and recurring lines
        quote = sent_quote(world.alpha)
        clicks = 6
        barrier = threading.Barrier(clicks)
        results: list = []
        errors: list[Exception] = []

        def approve() -> None:
            from django.db import connections

            try:
                barrier.wait()
                results.append(
                    quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
                )
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
            finally:
                connections.close_all()

        # When six approvals arrive at the same moment
        threads = [threading.Thread(target=approve) for _ in range(clicks)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Then every one of them gets the converted quote back, without an error
        assert not errors
        assert [r.status for r in results] == [QuoteStatus.CONVERTED] * clicks
        # And there is exactly one invoice, numbered once, and one set of subscriptions
        (invoice,) = Invoice.objects.filter(customer=world.alpha)
        assert invoice.number == "INV-2026-000001"
        assert {r.invoice_id for r in results} == {invoice.pk}
        assert NumberSequence.objects.get(tenant=world.acme, series="invoice").next_number == 2
        assert Subscription.objects.filter(customer=world.alpha).count() == 1
        assert QuoteEvent.objects.filter(quote=quote, kind="converted").count() == 1
        assert len(queued.approved_pdfs) == 1 and len(queued.invoice_emails) == 1
        # And the invoice's PDF is stored by a worker once the conversion committed
        assert queued.invoice_pdfs == [{"invoice_ids": [invoice.pk]}]


class TestWhatIsRecorded:
    def test_the_approver_their_signature_address_browser_and_terms_are_kept(self, world, queued):
        # Given terms in force and a sent quote
        terms = publish_terms(world.acme, "2026-01")
        quote = sent_quote(world.alpha)
        # When alice approves it, signing with her name, from her browser
        with time_machine.travel(NOW, tick=False):
            quote = quote_approve(
                quote=quote,
                actor=world.alice,
                approval=approval(
                    name="  Alice Liddell ",
                    terms_id=terms.pk,
                    ip="203.0.113.9",
                    user_agent="Mozilla/5.0 (X11) Firefox/140.0",
                ),
                today=TODAY,
            )
        # Then the quote keeps all of it
        quote.refresh_from_db()
        assert quote.approved_by == Contact.objects.get(user=world.alice)
        assert quote.approver_name == "Alice Liddell"
        assert quote.approver_ip == "203.0.113.9"
        assert quote.approver_user_agent == "Mozilla/5.0 (X11) Firefox/140.0"
        assert quote.approved_terms == terms
        assert quote.approved_at == datetime.fromisoformat(NOW)
        event = QuoteEvent.objects.get(quote=quote, kind="approved")
        assert event.actor == world.alice
        assert event.data == {
            "name": "Alice Liddell",
            "ip": "203.0.113.9",
            "terms": "2026-01",
            "via_link": False,
        }
        audit = AuditEntry.objects.get(action="quote.approved", object_id=str(quote.pk))
        assert audit.actor == world.alice

    def test_the_signature_is_required_when_the_business_says_so(self, world, queued):
        world.acme.quote_signature_required = True
        world.acme.save()
        quote = sent_quote(world.alpha)
        with pytest.raises(ValidationError) as refused:
            quote_approve(quote=quote, actor=world.alice, approval=approval(name=" "), today=TODAY)
        assert refused.value.code == "signature"
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.SENT
        signed = quote_approve(
            quote=quote, actor=world.alice, approval=approval(name="Alice L."), today=TODAY
        )
        assert signed.status == QuoteStatus.CONVERTED

    def test_without_that_setting_a_logged_in_contact_need_not_sign(self, world, queued):
        quote = sent_quote(world.alpha)
        approved = quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        assert approved.status == QuoteStatus.CONVERTED and approved.approver_name == ""

    def test_the_terms_must_be_accepted(self, world, queued):
        quote = sent_quote(world.alpha)
        with pytest.raises(ValidationError) as refused:
            quote_approve(
                quote=quote,
                actor=world.alice,
                approval=approval(accepted_terms=False),
                today=TODAY,
            )
        assert refused.value.code == "terms"

    def test_terms_changed_between_the_page_and_the_click_are_refused(self, world, queued):
        # Given the page showed the terms of January
        shown = publish_terms(world.acme, "2026-01")
        quote = sent_quote(world.alpha)
        # When new terms are published before the click
        with time_machine.travel(timezone.now() + timedelta(minutes=5)):
            publish_terms(world.acme, "2026-03")
        # Then the approval is refused, and nothing happened
        with pytest.raises(ValidationError) as refused:
            quote_approve(
                quote=quote, actor=world.alice, approval=approval(terms_id=shown.pk), today=TODAY
            )
        assert refused.value.code == "terms_changed"
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.SENT and quote.approved_at is None
        assert not Invoice.objects.exists()


class TestThroughTheLink:
    """The e-mailed link acts as SYSTEM: its holder is not logged in."""

    def test_it_is_off_unless_the_business_allows_it(self, world, queued):
        quote = sent_quote(world.alpha)
        with pytest.raises(ValidationError) as refused:
            quote_approve(quote=quote, actor=SYSTEM, approval=approval(name="A"), today=TODAY)
        assert refused.value.code == "login"
        with pytest.raises(ValidationError) as refused:
            quote_decline(quote=quote, actor=SYSTEM, today=TODAY)
        assert refused.value.code == "login"

    def test_it_needs_the_holders_typed_name(self, world, queued):
        world.acme.quote_link_approval = True
        world.acme.save()
        quote = sent_quote(world.alpha)
        with pytest.raises(ValidationError) as refused:
            quote_approve(quote=quote, actor=SYSTEM, approval=approval(), today=TODAY)
        assert refused.value.code == "signature"
        approved = quote_approve(
            quote=quote,
            actor=SYSTEM,
            approval=approval(name="Alice Liddell", ip="198.51.100.4"),
            today=TODAY,
        )
        assert approved.status == QuoteStatus.CONVERTED
        assert (approved.approved_by, approved.approver_name) == (None, "Alice Liddell")
        event = QuoteEvent.objects.get(quote=quote, kind="approved")
        assert event.actor is None and event.data["via_link"] is True

    def test_it_is_refused_when_the_business_wants_a_login(self, world, queued):
        world.acme.quote_link_approval = False
        world.acme.save()
        quote = sent_quote(world.alpha)
        with pytest.raises(ValidationError) as refused:
            quote_approve(
                quote=quote, actor=SYSTEM, approval=approval(name="Alice Liddell"), today=TODAY
            )
        assert refused.value.code == "login"
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.SENT
        # A logged-in contact still may.
        quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)


class TestWhoMayApprove:
    def test_a_member_contact_may_not(self, world, queued):
        Contact.objects.filter(user=world.alice).update(role="member")
        quote = sent_quote(world.alpha)
        with pytest.raises(PermissionDenied):
            quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.SENT

    def test_a_billing_contact_may(self, world, queued):
        Contact.objects.filter(user=world.alice).update(role="billing")
        quote = sent_quote(world.alpha)
        approved = quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        assert approved.status == QuoteStatus.CONVERTED

    @pytest.mark.parametrize("outsider", ["bob", "charlie"])
    def test_another_customers_or_businesss_contact_may_not(self, world, queued, outsider):
        quote = sent_quote(world.alpha)
        with pytest.raises(PermissionDenied):
            quote_approve(
                quote=quote, actor=getattr(world, outsider), approval=approval(), today=TODAY
            )
        assert not Invoice.objects.exists()


class TestExpired:
    def test_a_quote_marked_expired_cannot_be_approved(self, world, queued):
        quote = quote_expire(quote=sent_quote(world.alpha), actor=SYSTEM)
        with pytest.raises(ValidationError) as refused:
            quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        assert refused.value.code == QuoteStatus.EXPIRED

    def test_a_quote_past_its_validity_cannot_be_approved_before_the_job_expires_it(
        self, world, queued
    ):
        quote = sent_quote(world.alpha)
        assert quote.valid_until == TODAY + timedelta(days=30)
        # On its last valid day it still may be approved; the day after, no longer.
        with pytest.raises(ValidationError) as refused:
            quote_approve(
                quote=quote,
                actor=world.alice,
                approval=approval(),
                today=quote.valid_until + timedelta(days=1),
            )
        assert refused.value.code == "expired"
        approved = quote_approve(
            quote=quote, actor=world.alice, approval=approval(), today=quote.valid_until
        )
        assert approved.status == QuoteStatus.CONVERTED


class TestAFailedConversionLeavesNothingBehind:
    def test_a_tariff_taken_off_sale_after_sending_refuses_the_whole_approval(self, world, queued):
        # Given a sent quote whose tariff was taken off sale afterwards
        quote = sent_quote(world.alpha)
        tariff = quote.lines.get(kind="recurring").tariff
        tariff.is_active = False
        tariff.save()
        audits_before = AuditEntry.objects.count()
        # When it is approved
        with pytest.raises(ValidationError) as refused:
            quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        # Then the approval is refused and nothing of the conversion remains
        assert refused.value.code == "tariff"
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.SENT
        assert (quote.approved_at, quote.invoice_id, quote.approver_ip) == (None, None, None)
        assert not quote.subscriptions.exists()
        assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()
        assert not Subscription.objects.exists()
        assert not QuoteEvent.objects.filter(quote=quote, kind__in=["approved", "converted"])
        assert AuditEntry.objects.count() == audits_before
        assert not NumberSequence.objects.filter(series="invoice").exists()
        assert queued.approved_pdfs == [] and queued.invoice_emails == []
        # And once the tariff is back on sale, the invoice takes the first number
        tariff.is_active = True
        tariff.save()
        approved = quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        assert approved.invoice.number == "INV-2026-000001"


class TestWhatTheConversionMakes:
    def test_the_invoice_carries_the_quotes_lines_po_number_and_parties(self, world, queued):
        # Given a quote with its own PO number (not the contract's)
        world.alpha.po_number = "PO-CONTRACT"
        world.alpha.save()
        quote = pending_quote(world.alpha)
        quote_update(quote=quote, actor=SYSTEM, po_number="PO-QUOTE-7")
        quote = sent_quote_from(quote)
        # When it is approved
        quote = quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        # Then its one-off lines are one finalized invoice, numbered and dated today
        invoice = quote.invoice
        assert (invoice.status, invoice.number, invoice.issue_date) == (
            "open",
            "INV-2026-000001",
            TODAY,
        )
        assert invoice.customer == world.alpha and invoice.currency == quote.currency
        assert [
            (li.description, li.quantity, li.unit_price, li.tax_rate, li.net_amount, li.tax_amount)
            for li in invoice.lines.order_by("position")
        ] == [
            (
                "Set-up",
                Decimal(1),
                Decimal("499.995"),
                Decimal(20),
                Decimal("500.00"),
                Decimal(100),
            ),
            (
                "Training day",
                Decimal(3),
                Decimal("333.33"),
                Decimal(10),
                Decimal("999.99"),
                Decimal("100.00"),
            ),
        ]
        assert (invoice.net_amount, invoice.tax_amount, invoice.gross_amount) == (
            Decimal("1499.99"),
            Decimal("200.00"),
            Decimal("1699.99"),
        )
        # With the quote's PO number and the parties frozen as the quote had them
        assert invoice.buyer["po_number"] == "PO-QUOTE-7"
        assert invoice.buyer["name"] == quote.buyer["name"] == "Alpha Corp"
        assert invoice.seller == quote.seller
        # And no line of the invoice stems from the recurring line
        assert not invoice.lines.filter(subscription__isnull=False).exists()

    @pytest.mark.parametrize(
        ("start_on", "started_on"),
        [
            (date(2026, 4, 1), date(2026, 4, 1)),  # in the future: as offered
            (date(2026, 3, 1), TODAY),  # already past when approved: today
        ],
    )
    def test_each_recurring_line_becomes_a_subscription_as_offered(
        self, world, queued, start_on, started_on
    ):
        # Given a quote with a recurring line starting on `start_on`
        quote = pending_quote(world.alpha)
        line = quote.lines.get(kind="recurring")
        line.start_on = start_on
        line.save(update_fields=["start_on"])
        quote = sent_quote_from(quote, today=date(2026, 2, 20))
        # When it is approved
        quote = quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
        # Then it started a subscription on that day, at the quote's price and quantity
        (subscription,) = quote.subscriptions.all()
        assert (subscription.customer, subscription.tariff) == (world.alpha, line.tariff)
        assert (subscription.started_on, subscription.next_invoice_on) == (started_on, started_on)
        assert subscription.quantity == 2 and subscription.status == "active"
        assert subscription.price_items == [
            {"description": line.tariff.name, "unit_price": "45.0000"}
        ]
        # With the option booked at the quote's monthly price
        (booked,) = SubscriptionOption.objects.filter(subscription=subscription)
        offered = line.options.get()
        assert (booked.option, booked.quantity, booked.unit_price) == (
            offered.option,
            3,
            Decimal("5.00"),
        )
        assert Subscription.objects.filter(customer=world.alpha).count() == 1
