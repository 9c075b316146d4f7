"""A quote moves along its transition table only, through the services; every move leaves an
event and an audit entry, and every other move is refused without a trace."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEntry
from quotes.approval import quote_approve, quote_decline
from quotes.lifecycle import quote_duplicate, quote_expire, quote_revise, quote_send, quote_withdraw
from quotes.models import Quote, QuoteEvent, QuoteStatus
from quotes.services import quote_add_line
from tests.quotes.helpers import TODAY, approval, pending_quote, quote_in, sent_quote

pytestmark = pytest.mark.django_db

S = QuoteStatus
REACHABLE = [S.DRAFT, S.SENT, S.DECLINED, S.WITHDRAWN, S.EXPIRED, S.SUPERSEDED, S.CONVERTED]


def staff(world):
    return world.staff["acme", "billing"]


# action -> (how it is done, the statuses it may start from, where it leads, its event kind)
ACTIONS = {
    "send": (
        lambda w, q: quote_send(quote=q, actor=staff(w), today=TODAY),
        {S.DRAFT},
        S.SENT,
        "sent",
    ),
    "approve": (
        lambda w, q: quote_approve(quote=q, actor=w.alice, approval=approval(), today=TODAY),
        {S.SENT},
        S.CONVERTED,
        "converted",
    ),
    "decline": (
        lambda w, q: quote_decline(quote=q, actor=w.alice, reason="No budget", today=TODAY),
        {S.SENT},
        S.DECLINED,
        "declined",
    ),
    "withdraw": (
        lambda w, q: quote_withdraw(quote=q, actor=staff(w), reason="Typo"),
        {S.SENT},
        S.WITHDRAWN,
        "withdrawn",
    ),
    "expire": (lambda w, q: quote_expire(quote=q, actor=staff(w)), {S.SENT}, S.EXPIRED, "expired"),
    "revise": (
        lambda w, q: quote_revise(quote=q, actor=staff(w), today=TODAY),
        {S.SENT, S.EXPIRED},
        S.SUPERSEDED,
        "superseded",
    ),
}
# Answering again what was answered already is not an error: it returns the quote unchanged
# (a double click, a second tab).
IDEMPOTENT = {("approve", S.CONVERTED), ("decline", S.DECLINED)}

ALLOWED = [
    (action, status)
    for action, (_do, starts, _to, _kind) in ACTIONS.items()
    for status in REACHABLE
    if status in starts
]
FORBIDDEN = [
    (action, status)
    for action, (_do, starts, _to, _kind) in ACTIONS.items()
    for status in REACHABLE
    if status not in starts and (action, status) not in IDEMPOTENT
]


@pytest.mark.parametrize(("action", "status"), ALLOWED)
def test_each_allowed_move_writes_an_event_and_an_audit_entry(world, action, status):
    # Given a quote in `status`
    quote = quote_in(status, world)
    do, _starts, to_status, kind = ACTIONS[action]
    events_before = QuoteEvent.objects.filter(quote=quote).count()
    # When the move is made
    with time_machine.travel("2026-03-10 09:00:00+01:00", tick=False):
        do(world, quote)
    # Then the quote is in its new status, with an event and an audit entry saying so
    quote.refresh_from_db()
    assert quote.status == to_status
    event = QuoteEvent.objects.filter(quote=quote, kind=kind).latest("id")
    assert event.to_status == to_status
    assert QuoteEvent.objects.filter(quote=quote).count() > events_before
    audit = AuditEntry.objects.filter(action=f"quote.{kind}", object_id=str(quote.pk)).latest("id")
    assert audit.tenant == world.acme
    assert audit.after["status"] == to_status


@pytest.mark.parametrize(("action", "status"), FORBIDDEN)
def test_each_forbidden_move_is_refused_and_leaves_no_trace(world, action, status):
    # Given a quote in `status`
    quote = quote_in(status, world)
    do = ACTIONS[action][0]
    events_before = QuoteEvent.objects.count()
    audits_before = AuditEntry.objects.count()
    # When the forbidden move is tried, then it is refused with a message (not a crash)
    with pytest.raises(ValidationError):
        do(world, quote)
    # And nothing changed
    quote.refresh_from_db()
    assert quote.status == status
    assert QuoteEvent.objects.count() == events_before
    assert AuditEntry.objects.count() == audits_before


@pytest.mark.parametrize(("action", "status"), sorted(IDEMPOTENT))
def test_answering_a_second_time_returns_the_quote_unchanged(world, action, status):
    quote = quote_in(status, world)
    events_before = QuoteEvent.objects.count()
    again = ACTIONS[action][0](world, quote)
    assert again.pk == quote.pk and again.status == status
    assert QuoteEvent.objects.count() == events_before


@pytest.mark.parametrize("status", [s for s in REACHABLE if s != S.DRAFT])
def test_the_lines_of_a_quote_that_went_out_cannot_be_edited(world, status):
    quote = quote_in(status, world)
    lines_before = quote.lines.count()
    with pytest.raises(ValidationError) as refused:
        quote_add_line(quote=quote, description="Extra", unit_price=Decimal(1), actor=staff(world))
    assert refused.value.code == "sent"
    assert quote.lines.count() == lines_before


def test_a_quote_cannot_be_sent_twice(world):
    quote = sent_quote(world.alpha, staff=staff(world))
    with pytest.raises(ValidationError):
        quote_send(quote=quote, actor=staff(world), today=TODAY)
    assert QuoteEvent.objects.filter(quote=quote, kind="sent").count() == 1


def test_support_staff_may_not_send_or_withdraw(world):
    support = world.staff["acme", "support"]
    draft = pending_quote(world.alpha)
    with pytest.raises(PermissionDenied):
        quote_send(quote=draft, actor=support, today=TODAY)
    quote = sent_quote(world.alpha)
    with pytest.raises(PermissionDenied):
        quote_withdraw(quote=quote, actor=support)
    quote.refresh_from_db()
    assert quote.status == S.SENT


def test_another_tenants_staff_may_not_touch_a_quote(world):
    quote = sent_quote(world.alpha)
    with pytest.raises(PermissionDenied):
        quote_withdraw(quote=quote, actor=world.staff["globex", "owner"])


def test_the_event_records_who_moved_it(world):
    quote = pending_quote(world.alpha, staff=staff(world))
    quote_send(quote=quote, actor=staff(world), today=TODAY)
    event = QuoteEvent.objects.get(quote=quote, kind="sent")
    assert (event.from_status, event.to_status, event.actor) == (S.DRAFT, S.SENT, staff(world))
    assert event.data["number"] == "Q-2026-00001"


class TestRevise:
    def test_it_makes_version_2_under_the_same_number_with_the_lines_copied(self, world):
        # Given a sent quote with one-off and recurring lines (and an option)
        old = sent_quote(world.alpha, staff=staff(world))
        # When it is revised
        new = quote_revise(quote=old, actor=staff(world), today=TODAY)
        # Then the new version is a draft under the same number
        assert (new.number, new.version, new.status) == (old.number, 2, S.DRAFT)
        assert new.revision_of == old and str(new) == f"{old.number} v2"

        def shape(quote):
            return [
                (
                    li.position,
                    li.kind,
                    li.description,
                    li.quantity,
                    li.unit_price,
                    li.tax_rate,
                    li.gross_amount,
                    li.tariff_id,
                    li.start_on,
                    sorted((o.option_id, o.quantity, o.unit_price) for o in li.options.all()),
                )
                for li in quote.lines.order_by("position")
            ]

        assert shape(new) == shape(old) and len(shape(new)) == 3
        assert set(new.lines.values_list("pk", flat=True)).isdisjoint(
            old.lines.values_list("pk", flat=True)
        )
        assert new.gross_amount == old.gross_amount
        # And the old version is superseded, still there with its own lines
        old.refresh_from_db()
        assert old.status == S.SUPERSEDED and old.lines.count() == 3

    def test_sending_the_revision_keeps_the_number_and_takes_none(self, world):
        old = sent_quote(world.alpha, staff=staff(world))
        new = quote_revise(quote=old, actor=staff(world), today=TODAY)
        sent = quote_send(quote=new, actor=staff(world), today=TODAY)
        assert (sent.number, sent.version, sent.status) == ("Q-2026-00001", 2, S.SENT)
        # The next new quote takes the next number: the revision used none.
        other = sent_quote(world.bravo, staff=staff(world))
        assert other.number == "Q-2026-00002"

    def test_the_superseded_version_can_no_longer_be_approved(self, world):
        old = sent_quote(world.alpha, staff=staff(world))
        quote_revise(quote=old, actor=staff(world), today=TODAY)
        with pytest.raises(ValidationError) as refused:
            quote_approve(quote=old, actor=world.alice, approval=approval(), today=TODAY)
        assert refused.value.code == S.SUPERSEDED

    def test_an_expired_quote_is_revised_into_a_new_valid_version(self, world):
        old = quote_in(S.EXPIRED, world, staff=staff(world))
        later = TODAY.replace(month=6)
        new = quote_revise(quote=old, actor=staff(world), today=later)
        assert new.valid_until > later and new.version == 2
        quote_send(quote=new, actor=staff(world), today=later)
        new.refresh_from_db()
        assert new.status == S.SENT and new.issue_date == later


class TestDuplicate:
    def test_a_duplicate_is_a_draft_that_gets_a_new_number_when_sent(self, world):
        original = sent_quote(world.alpha, staff=staff(world))
        copy = quote_duplicate(quote=original, actor=staff(world), today=TODAY)
        assert (copy.status, copy.number, copy.version, copy.revision_of) == (
            S.DRAFT,
            "",
            1,
            None,
        )
        assert copy.lines.count() == original.lines.count()
        sent = quote_send(quote=copy, actor=staff(world), today=TODAY)
        assert sent.number == "Q-2026-00002"
        original.refresh_from_db()
        assert original.status == S.SENT  # untouched

    def test_it_can_be_made_for_another_customer_of_the_business_only(self, world):
        original = sent_quote(world.alpha, staff=staff(world))
        copy = quote_duplicate(
            quote=original, actor=staff(world), today=TODAY, customer=world.bravo
        )
        assert copy.customer == world.bravo
        with pytest.raises(ValidationError):
            quote_duplicate(
                quote=original, actor=staff(world), today=TODAY, customer=world.charlie_co
            )
        assert Quote.objects.filter(customer=world.charlie_co).count() == 0
