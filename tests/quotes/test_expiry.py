"""Sent quotes past their validity expire, on each business's own calendar day; the job leaves
every other quote alone, and staff may mark a quote expired themselves."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEntry
from core.roles import SYSTEM
from quotes.lifecycle import quote_expire, quotes_expire_due
from quotes.models import QuoteEvent, QuoteStatus
from quotes.tasks import expire_quotes
from tests.quotes.helpers import TODAY, pending_quote, quote_in, sent_quote

pytestmark = pytest.mark.django_db
LAST_VALID_DAY = TODAY + timedelta(days=30)  # the business's default validity


@pytest.fixture(autouse=True)
def _no_emails(monkeypatch):
    monkeypatch.setattr("quotes.lifecycle.send_quote_email.delay", lambda quote_id: None)


def status_of(quote) -> str:
    quote.refresh_from_db()
    return quote.status


class TestTheServiceForOneBusiness:
    def test_sent_quotes_expire_the_day_after_their_last_valid_day(self, world):
        # Given a sent quote valid until LAST_VALID_DAY
        quote = sent_quote(world.alpha)
        assert quote.valid_until == LAST_VALID_DAY
        # On its last valid day it stays
        assert quotes_expire_due(tenant=world.acme, today=LAST_VALID_DAY, actor=SYSTEM) == 0
        assert status_of(quote) == QuoteStatus.SENT
        # The day after, it expires, recorded as done by the system
        next_day = LAST_VALID_DAY + timedelta(days=1)
        assert quotes_expire_due(tenant=world.acme, today=next_day, actor=SYSTEM) == 1
        assert status_of(quote) == QuoteStatus.EXPIRED
        event = QuoteEvent.objects.get(quote=quote, kind="expired")
        assert (event.from_status, event.actor) == (QuoteStatus.SENT, None)
        assert AuditEntry.objects.filter(action="quote.expired", object_id=str(quote.pk)).exists()
        # And running again changes nothing
        assert quotes_expire_due(tenant=world.acme, today=next_day, actor=SYSTEM) == 0
        assert QuoteEvent.objects.filter(quote=quote, kind="expired").count() == 1

    @pytest.mark.parametrize(
        "status",
        [
            QuoteStatus.DRAFT,
            QuoteStatus.DECLINED,
            QuoteStatus.WITHDRAWN,
            QuoteStatus.SUPERSEDED,
            QuoteStatus.CONVERTED,
        ],
    )
    def test_quotes_that_no_longer_await_an_answer_are_left_alone(self, world, status):
        quote = quote_in(status, world)
        long_after = LAST_VALID_DAY + timedelta(days=100)
        assert quotes_expire_due(tenant=world.acme, today=long_after, actor=SYSTEM) == 0
        assert status_of(quote) == status

    def test_a_quote_still_valid_is_left_alone_while_an_older_one_expires(self, world):
        older = sent_quote(world.alpha)
        newer = sent_quote(world.bravo, today=TODAY + timedelta(days=10))
        day = LAST_VALID_DAY + timedelta(days=1)
        assert quotes_expire_due(tenant=world.acme, today=day, actor=SYSTEM) == 1
        assert (status_of(older), status_of(newer)) == (QuoteStatus.EXPIRED, QuoteStatus.SENT)

    def test_only_the_given_business_is_touched(self, world):
        ours, theirs = sent_quote(world.alpha), sent_quote(world.charlie_co)
        day = LAST_VALID_DAY + timedelta(days=1)
        quotes_expire_due(tenant=world.acme, today=day, actor=SYSTEM)
        assert (status_of(ours), status_of(theirs)) == (QuoteStatus.EXPIRED, QuoteStatus.SENT)


class TestTheJob:
    def test_it_expires_on_each_businesss_own_calendar_day(self, world):
        # Given two businesses on either side of the Atlantic, each with a quote valid until
        # the same day
        world.acme.timezone = "Europe/Berlin"
        world.acme.save()
        world.globex.timezone = "America/New_York"
        world.globex.save()
        berlin, new_york = sent_quote(world.alpha), sent_quote(world.charlie_co)
        assert berlin.valid_until == new_york.valid_until == date(2026, 4, 9)
        # When the job runs at 23:30 UTC on that day: already the 10th in Berlin, still the
        # 9th in New York
        with time_machine.travel("2026-04-09 23:30:00+00:00", tick=False):
            assert expire_quotes() == 1
        # Then only Berlin's quote expired
        assert (status_of(berlin), status_of(new_york)) == (QuoteStatus.EXPIRED, QuoteStatus.SENT)
        # And New York's goes when its own day has passed too
        with time_machine.travel("2026-04-10 04:30:00+00:00", tick=False):
            assert expire_quotes() == 1
        assert status_of(new_york) == QuoteStatus.EXPIRED

    def test_it_skips_businesses_that_are_switched_off(self, world):
        world.globex.is_active = False
        world.globex.save()
        quote = sent_quote(world.charlie_co)
        with time_machine.travel("2026-06-01 12:00:00+00:00", tick=False):
            assert expire_quotes() == 0
        assert status_of(quote) == QuoteStatus.SENT


class TestStaff:
    def test_billing_staff_may_mark_a_sent_quote_expired_before_its_time(self, world):
        staff = world.staff["acme", "billing"]
        quote = sent_quote(world.alpha)
        quote_expire(quote=quote, actor=staff)
        assert status_of(quote) == QuoteStatus.EXPIRED
        assert QuoteEvent.objects.get(quote=quote, kind="expired").actor == staff
        audit = AuditEntry.objects.get(action="quote.expired", object_id=str(quote.pk))
        assert audit.actor == staff

    def test_support_staff_may_not(self, world):
        quote = sent_quote(world.alpha)
        with pytest.raises(PermissionDenied):
            quote_expire(quote=quote, actor=world.staff["acme", "support"])
        assert status_of(quote) == QuoteStatus.SENT

    def test_a_draft_cannot_be_marked_expired(self, world):
        draft = pending_quote(world.alpha)
        with pytest.raises(ValidationError):
            quote_expire(quote=draft, actor=world.staff["acme", "billing"])
