"""Quote numbers: taken when a quote is first sent, gapless per business on a series of their
own (invoices count on theirs), restarting each year when the business says so, and safe when
many quotes are sent at once."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from core.roles import SYSTEM
from quotes.lifecycle import quote_send
from quotes.models import Quote
from tests.quotes.helpers import TODAY, pending_quote, sent_quote

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_emails(monkeypatch):
    """Numbering is under test here, not the e-mail the send queues after commit."""
    monkeypatch.setattr("quotes.lifecycle.send_quote_email.delay", lambda quote_id: None)


def finalize_an_invoice(customer, today=TODAY):
    invoice = invoice_create_draft(customer=customer, actor=SYSTEM)
    invoice_add_line(invoice=invoice, description="x", unit_price=Decimal(1), actor=SYSTEM)
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=today)


def test_numbers_run_on_without_gaps_and_ignore_invoices(world):
    # Given quotes and invoices issued in turn
    numbers = []
    for _ in range(3):
        numbers.append(sent_quote(world.alpha, recurring=False).number)
        finalize_an_invoice(world.alpha)
    # Then the quotes count on their own series, and so do the invoices
    assert numbers == ["Q-2026-00001", "Q-2026-00002", "Q-2026-00003"]
    assert finalize_an_invoice(world.bravo).number == "INV-2026-000004"


def test_each_business_counts_on_its_own(world):
    sent_quote(world.alpha, recurring=False)
    sent_quote(world.bravo, recurring=False)
    assert sent_quote(world.charlie_co, recurring=False).number == "Q-2026-00001"


def test_a_draft_has_no_number_and_a_send_rolled_back_gives_its_number_back(world):
    draft = pending_quote(world.alpha, recurring=False)
    assert draft.number == ""
    with pytest.raises(RuntimeError), transaction.atomic():
        quote_send(quote=draft, actor=SYSTEM, today=TODAY)
        raise RuntimeError("the request died after the send")
    draft.refresh_from_db()
    assert draft.number == "" and draft.status == "draft"
    assert quote_send(quote=draft, actor=SYSTEM, today=TODAY).number == "Q-2026-00001"


def test_the_business_format_is_used(world):
    world.acme.quote_number_format = "OFFER/{year}/{number:03d}"
    world.acme.save()
    assert sent_quote(world.alpha, recurring=False).number == "OFFER/2026/001"


@pytest.mark.parametrize(
    ("reset_yearly", "expected"),
    [
        (True, ["Q-2026-00001", "Q-2026-00002", "Q-2027-00001"]),
        (False, ["Q-2026-00001", "Q-2026-00002", "Q-2027-00003"]),
    ],
)
def test_numbers_restart_each_year_only_when_the_business_says_so(world, reset_yearly, expected):
    world.acme.number_reset_yearly = reset_yearly
    world.acme.save()
    days = [date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1)]
    numbers = [sent_quote(world.alpha, recurring=False, today=day).number for day in days]
    assert numbers == expected


@pytest.mark.django_db(transaction=True)
def test_quotes_sent_at_once_from_many_threads_get_distinct_consecutive_numbers(world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this)")
    # Given eight drafts
    drafts = [pending_quote(world.alpha, recurring=False) for _ in range(8)]
    barrier = threading.Barrier(len(drafts))
    errors: list[Exception] = []

    def send(quote) -> None:
        from django.db import connections

        try:
            barrier.wait()
            quote_send(quote=quote, actor=SYSTEM, today=TODAY)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    # When they are all sent at the same moment
    threads = [threading.Thread(target=send, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then each got its own number, with none skipped
    assert not errors
    numbers = sorted(Quote.objects.values_list("number", flat=True))
    assert numbers == [f"Q-2026-{n:05d}" for n in range(1, 9)]
