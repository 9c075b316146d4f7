"""Usage a helpdesk reports: charged per the department's credits per request, once per
external id, refused without access or credits (charging nothing), never overdrawn."""

import threading
from datetime import UTC, date, datetime

import pytest
from django.db import connection

from subscriptions.credits import credit_account, package_purchase
from subscriptions.models import CreditLedgerEntry, UsageRecord
from subscriptions.usage import (
    UsageConflict,
    UsageReason,
    UsageRefused,
    usage_check,
    usage_report,
)
from tests.api_support import access_switch, give_credits, helpdesk
from tests.factories import PackageFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 20)
AT = datetime(2026, 3, 20, 10, tzinfo=UTC)


@pytest.fixture
def desk(world):
    return helpdesk(world)


def report(customer, department, external_id="T-1", kind="ticket"):
    return usage_report(
        customer=customer,
        department=department,
        kind=kind,
        external_id=external_id,
        occurred_at=AT,
        today=TODAY,
    )


def test_a_report_charges_the_departments_credits_per_request(world, desk):
    give_credits(world, world.alpha, 10)
    result = report(world.alpha, desk.development)
    assert result.created and result.record.credits == 3 and result.balance == 7
    assert result.record.ledger_entry.delta == -3
    assert result.record.ledger_entry.department == desk.development


def test_the_same_report_again_charges_nothing_and_gives_the_same_record(world, desk):
    give_credits(world, world.alpha, 10)
    first = report(world.alpha, desk.support)
    again = report(world.alpha, desk.support)
    assert not again.created and again.record.pk == first.record.pk
    assert credit_account(world.alpha).balance == 9
    assert UsageRecord.objects.count() == 1


@pytest.mark.parametrize("change", ["customer", "department", "kind"])
def test_the_same_external_id_for_another_customer_department_or_kind_conflicts(
    world, desk, change
):
    give_credits(world, world.alpha, 10)
    give_credits(world, world.bravo, 10)
    access_switch(world.bravo, desk.support, on=True)
    report(world.alpha, desk.support)
    customer = world.bravo if change == "customer" else world.alpha
    department = desk.development if change == "department" else desk.support
    kind = "conversation" if change == "kind" else "ticket"
    with pytest.raises(UsageConflict):
        report(customer, department, kind=kind)
    assert credit_account(world.alpha).balance == 9
    assert credit_account(world.bravo).balance == 10


def test_without_enough_credits_nothing_is_recorded_or_charged(world, desk):
    give_credits(world, world.alpha, 2)
    with pytest.raises(UsageRefused) as refused:
        report(world.alpha, desk.development)
    assert refused.value.verdict.reason == UsageReason.NO_CREDITS
    assert credit_account(world.alpha).balance == 2
    assert not UsageRecord.objects.exists()


def test_without_access_to_a_department_that_needs_a_package_it_is_refused(world, desk):
    give_credits(world, world.alpha, 10)
    access_switch(world.alpha, desk.support, on=False)
    with pytest.raises(UsageRefused) as refused:
        report(world.alpha, desk.support)
    assert refused.value.verdict.reason == UsageReason.NO_ACCESS
    assert credit_account(world.alpha).balance == 10


def test_a_customer_without_any_package_is_told_so(world, desk):
    verdict = usage_check(customer=world.alpha, department=desk.support, kind="ticket", today=TODAY)
    assert not verdict.allowed and verdict.reason == UsageReason.NO_PACKAGE


def test_uncounted_kinds_and_open_departments_record_zero_credits_without_a_ledger_entry(
    world, desk
):
    give_credits(world, world.alpha, 1)
    conversation = report(world.alpha, desk.development, "C-1", kind="conversation")
    chat = report(world.bravo, desk.chat, "L-1", kind="live_chat")  # bravo: no access, no credits
    for result in (conversation, chat):
        assert result.created and result.record.credits == 0 and result.record.ledger_entry is None
    assert CreditLedgerEntry.objects.filter(kind="use").count() == 0


def test_usage_a_subscription_package_covers_is_recorded_at_zero_credits(world, desk):
    year = PackageFactory(
        tenant=world.acme, kind="subscription", credits=None, duration_days=365, price="990.00"
    )
    package_purchase(customer=world.alpha, package=year, actor=world.alice, today=TODAY)
    result = report(world.alpha, desk.development)
    assert result.record.credits == 0 and result.record.ledger_entry.delta == 0
    later = usage_check(
        customer=world.alpha, department=desk.support, kind="ticket", today=date(2027, 6, 1)
    )
    assert later.reason == UsageReason.PACKAGE_EXPIRED


def test_the_check_gives_the_price_and_changes_nothing(world, desk):
    give_credits(world, world.alpha, 5)
    verdict = usage_check(
        customer=world.alpha, department=desk.development, kind="ticket", today=TODAY
    )
    assert verdict.allowed and verdict.credits == 3 and verdict.balance == 5
    assert credit_account(world.alpha).balance == 5


def _in_parallel(count: int, work) -> list[str]:
    outcomes: list[str] = []
    barrier = threading.Barrier(count)

    def run(n: int) -> None:
        from django.db import connections

        try:
            barrier.wait()
            outcomes.append(work(n))
        except UsageRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.fixture
def committed_desk(world):
    """The helpdesk, committed (threads use their own connections), alpha with 10 credits."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this)")
    desk = helpdesk(world)
    give_credits(world, world.alpha, 10)
    return desk


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_reports_against_ten_credits_charge_exactly_ten(world, committed_desk):
    desk = committed_desk
    outcomes = _in_parallel(
        20, lambda n: "ok" if report(world.alpha, desk.support, f"T-{n}").created else "repeat"
    )
    assert outcomes.count("ok") == 10 and outcomes.count("refused") == 10
    assert credit_account(world.alpha).balance == 0
    entries = CreditLedgerEntry.objects.filter(customer=world.alpha).order_by("id")
    assert all(e.balance_after >= 0 for e in entries)
    assert UsageRecord.objects.count() == 10


@pytest.mark.django_db(transaction=True)
def test_the_same_report_sent_eight_times_at_once_charges_once(world, committed_desk):
    desk = committed_desk
    give_credits(world, world.bravo, 10)
    access_switch(world.bravo, desk.support, on=True)

    def send(n: int) -> str:
        customer = world.alpha if n < 6 else world.bravo  # two conflicting reports too
        try:
            return "ok" if report(customer, desk.support, "SAME").created else "repeat"
        except UsageConflict:
            return "conflict"

    outcomes = _in_parallel(8, send)
    assert outcomes.count("ok") == 1 and UsageRecord.objects.count() == 1
    winner = UsageRecord.objects.get().customer
    assert credit_account(winner).balance == 9
    loser = world.bravo if winner == world.alpha else world.alpha
    assert credit_account(loser).balance == 10
    expected_conflicts = 2 if winner == world.alpha else 6
    assert outcomes.count("conflict") == expected_conflicts


def test_the_ledger_reference_does_not_depend_on_the_request_language(world, desk):
    from django.utils import translation

    give_credits(world, world.alpha, 10)
    with translation.override("de"):
        entry = report(world.alpha, desk.support, "TICKET-1001").record.ledger_entry
    assert entry.reference == "ticket TICKET-1001"
    with translation.override("en"):
        assert entry.reference_text == "Ticket TICKET-1001"


def test_usage_recorded_without_a_ledger_entry_is_audited(world, desk):
    from core.api_keys import api_key_create
    from core.models import AuditEntry
    from core.roles import SYSTEM

    key, _secret = api_key_create(
        tenant=world.acme, name="Desk", scopes=["usage:write"], actor=SYSTEM
    )
    record = usage_report(
        customer=world.bravo,
        department=desk.chat,
        kind="live_chat",
        external_id="L-1",
        occurred_at=AT,
        today=TODAY,
        api_key=key,
    ).record
    entry = AuditEntry.objects.get(action="usage.report")
    assert entry.object_id == str(record.pk) and entry.actor is None
    assert entry.actor_label == f"api key {key.prefix}"
    assert entry.after["external_id"] == "L-1" and entry.after["credits"] == 0
