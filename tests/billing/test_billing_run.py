"""The billing run: due periods become finalized invoices, once, with gapless numbers — also
when run twice, interrupted and resumed, or run twice at the same time."""

import threading
from datetime import UTC, date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from billing.models import Invoice, TaxRate
from billing.run import services as billing
from core.roles import SYSTEM
from subscriptions.models import PendingCharge, Subscription
from subscriptions.services import (
    subscription_cancel,
    subscription_option_add,
    subscription_order,
)
from tests.factories import CustomerFactory, TariffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal("19"), is_default=True)
    return TariffFactory(
        module__tenant=world.acme, module__name="Helpdesk", name="Team", price="49.00"
    )


def subscribe(world, tariff, start=date(2026, 1, 15), customer=None, **kwargs):
    return subscription_order(
        customer=customer or world.alpha, tariff=tariff, actor=SYSTEM, start_on=start, **kwargs
    )


def numbers(tenant):
    return sorted(Invoice.objects.filter(tenant=tenant).values_list("number", flat=True))


def test_each_due_period_becomes_one_finalized_invoice(world, setup):
    sub = subscribe(world, setup)
    stats = billing.billing_run(today=date(2026, 3, 20))
    assert stats.invoices == 3  # January, February and March periods
    invoices = Invoice.objects.filter(subscription=sub).order_by("period_start")
    assert [i.period_start for i in invoices] == [
        date(2026, 1, 15),
        date(2026, 2, 15),
        date(2026, 3, 15),
    ]
    first = invoices[0]
    assert first.status == "open" and first.gross_amount == Decimal("58.31")
    line = first.lines.get()
    assert (line.service_start, line.service_end) == (date(2026, 1, 15), date(2026, 2, 14))
    assert line.description == "Helpdesk — Team"
    sub.refresh_from_db()
    assert sub.next_invoice_on == date(2026, 4, 15)
    assert numbers(world.acme) == ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"]


def test_a_second_run_issues_nothing(world, setup):
    subscribe(world, setup)
    billing.billing_run(today=date(2026, 3, 20))
    assert billing.billing_run(today=date(2026, 3, 20)).invoices == 0
    assert Invoice.objects.count() == 3


def test_options_pending_charges_cycles_and_ends_are_billed_right(world, setup):
    from tests.factories import OptionFactory

    seat = OptionFactory(tenant=world.acme, name="Seat", unit_price="5.00")
    setup.options.add(seat)
    sub = subscribe(world, setup, start=date(2026, 3, 1), remaining_cycles=2)
    subscription_option_add(
        subscription=sub,
        option=seat,
        quantity=2,
        actor=world.staff["acme", "manager"],
        today=date(2026, 3, 1),
    )
    PendingCharge.objects.create(
        tenant=world.acme,
        subscription=sub,
        description="Setup",
        amount=Decimal("100"),
        currency="EUR",
        service_start=date(2026, 3, 1),
        service_end=date(2026, 3, 1),
    )
    billing.billing_run(today=date(2026, 6, 1))
    invoices = list(Invoice.objects.filter(subscription=sub).order_by("period_start"))
    assert len(invoices) == 2  # two cycles, then it stops
    assert invoices[0].net_amount == Decimal("159.00")  # 49 + 2 × 5 + 100 setup
    assert invoices[1].net_amount == Decimal("59.00")
    assert [line.option for line in invoices[1].lines.all()] == [None, seat]  # what it bills
    assert PendingCharge.objects.get().invoiced_at is not None
    sub.refresh_from_db()
    assert sub.remaining_cycles == 0 and sub.next_invoice_on is None


def test_a_cancelled_subscription_is_billed_up_to_its_last_day(world, setup):
    sub = subscribe(world, setup, start=date(2026, 1, 15))
    subscription_cancel(
        subscription=sub,
        actor=world.staff["acme", "manager"],
        today=date(2026, 1, 20),
        reason="x",
        ends_on=date(2026, 2, 28),
    )
    billing.billing_run(today=date(2026, 6, 1))
    invoices = list(Invoice.objects.filter(subscription=sub).order_by("period_start"))
    assert len(invoices) == 2
    assert invoices[1].lines.get().service_end == date(2026, 2, 28)


def test_test_accounts_are_flagged(world, setup):
    world.alpha.is_test_account = True
    world.alpha.save()
    subscribe(world, setup, start=date(2026, 3, 1))
    billing.billing_run(today=date(2026, 3, 1))
    assert Invoice.objects.get().is_test


def test_an_interrupted_run_resumes_without_duplicates_or_gaps(world, setup, monkeypatch):
    for _ in range(5):
        subscribe(world, setup, start=date(2026, 3, 1), customer=CustomerFactory(tenant=world.acme))
    real_lines, calls = billing.period_lines, {"n": 0}

    def dies_on_the_fourth(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("worker killed")
        return real_lines(*args, **kwargs)

    monkeypatch.setattr(billing, "period_lines", dies_on_the_fourth)
    with pytest.raises(RuntimeError):
        billing.billing_run(today=date(2026, 3, 1), batch_size=2)
    assert Invoice.objects.count() == 2  # the first batch committed, the second rolled back
    monkeypatch.setattr(billing, "period_lines", real_lines)
    billing.billing_run(today=date(2026, 3, 1), batch_size=2)
    assert Invoice.objects.count() == 5
    assert numbers(world.acme) == [f"INV-2026-{n:06d}" for n in range(1, 6)]


def test_the_command_runs_for_a_date_and_a_tenant(world, setup, capsys):
    subscribe(world, setup, start=date(2026, 3, 1))
    call_command("run_billing", "--date", "2026-03-01", "--tenant", "acme")
    assert "1 invoices issued" in capsys.readouterr().out
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("run_billing", "--date", "tomorrow")


def test_the_hourly_task_fans_out_per_business_on_its_own_day(
    world, setup, eager_tasks, monkeypatch
):
    """Three due periods, one task per period here: every task shares the same business's work
    and none issues an invoice twice. Auckland is already on the 1st when UTC is not."""
    from datetime import datetime

    from django.utils import timezone

    from billing.run import tasks

    world.acme.timezone = "Pacific/Auckland"
    world.acme.save()
    for customer in (world.alpha, world.bravo, world.alpha):
        subscribe(world, setup, start=date(2026, 3, 1), customer=customer)
    monkeypatch.setattr(tasks, "PERIODS_PER_TASK", 1)
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 2, 28, 20, tzinfo=UTC))
    assert tasks.run_billing() == 3
    assert Invoice.objects.filter(tenant=world.acme).count() == 3
    assert {i.issue_date for i in Invoice.objects.all()} == {date(2026, 3, 1)}
    assert tasks.run_billing() == 0  # nothing due any more


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_never_duplicate_nor_leave_gaps(world):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED and row locks need PostgreSQL (CI runs this)")
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal("19"), is_default=True)
    tariff = TariffFactory(module__tenant=world.acme, price="10.00")
    for _ in range(40):
        subscribe(
            world, tariff, start=date(2026, 3, 1), customer=CustomerFactory(tenant=world.acme)
        )
    barrier = threading.Barrier(3)
    errors: list[Exception] = []

    def run() -> None:
        from django.db import connections

        try:
            barrier.wait()
            billing.billing_run(today=date(2026, 3, 1), tenant=world.acme, batch_size=5)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Invoice.objects.count() == 40
    assert numbers(world.acme) == [f"INV-2026-{n:06d}" for n in range(1, 41)]
    assert not Subscription.objects.filter(next_invoice_on__lte=date(2026, 3, 1)).exists()


def test_pending_charges_of_a_period_already_invoiced_wait_for_the_next_one(world, setup):
    sub = subscribe(world, setup, start=date(2026, 3, 1))
    billing.billing_run(today=date(2026, 3, 1))
    Subscription.objects.filter(pk=sub.pk).update(next_invoice_on=date(2026, 3, 1))  # replay
    charge = PendingCharge.objects.create(
        tenant=world.acme,
        subscription=sub,
        description="Upgrade",
        amount=Decimal("10"),
        currency="EUR",
        service_start=date(2026, 3, 5),
        service_end=date(2026, 3, 31),
    )
    assert billing.billing_run(today=date(2026, 3, 1)).skipped == 1
    charge.refresh_from_db()
    assert charge.invoiced_at is None  # not lost: billed with the next period
    billing.billing_run(today=date(2026, 4, 1))
    charge.refresh_from_db()
    assert charge.invoiced_at is not None


@pytest.mark.parametrize("role, issued", [("billing", 3), ("support", 0)])
def test_the_back_office_bills_one_customer_now(world, setup, role, issued):
    import time_machine

    from billing.models import Invoice as Issued
    from tests.conftest import client_for

    other = CustomerFactory(tenant=world.acme)
    subscribe(world, setup)
    subscribe(world, setup, customer=other)
    client = client_for(world.staff["acme", role], world.acme)
    with time_machine.travel("2026-03-20 10:00:00+01:00", tick=False):
        response = client.post(
            "/manage/contracts/customer/",
            {"action": "bill_now", "_selected_action": [world.alpha.pk]},
        )
    assert response.status_code == (302 if issued else 200)  # Support is not offered the action
    assert Issued.objects.filter(customer=world.alpha).count() == issued
    assert not Issued.objects.filter(customer=other).exists()  # only the chosen customer


@pytest.mark.parametrize("first", ["change job", "billing run"])
def test_a_period_starting_on_a_tariff_change_is_priced_at_the_new_tariff_whichever_runs_first(
    world, setup, first
):
    """On the day a scheduled change takes effect, the hourly run may come before the change
    job: it applies the change of its batch itself, once, and both orders give one invoice."""
    from subscriptions.models import SubscriptionEvent
    from subscriptions.services import subscription_change_tariff, subscriptions_apply_due

    lite = TariffFactory(module=setup.module, name="Lite", price="19.00")
    setup.allowed_changes.add(lite)
    sub = subscribe(world, setup)
    billing.billing_run(today=date(2026, 1, 15))
    preview = subscription_change_tariff(
        subscription=sub, target=lite, actor=world.staff["acme", "manager"], today=date(2026, 1, 20)
    )
    assert not preview.immediate and preview.effective_on == date(2026, 2, 15)

    day = date(2026, 2, 15)
    if first == "change job":
        assert subscriptions_apply_due(today=day, tenant=world.acme)["changed"] == 1
        assert billing.billing_run(today=day).invoices == 1
    else:
        assert billing.billing_run(today=day).invoices == 1
        assert subscriptions_apply_due(today=day, tenant=world.acme)["changed"] == 0

    february = Invoice.objects.get(subscription=sub, period_start=day)
    line = february.lines.get()
    assert (line.description, line.net_amount) == ("Helpdesk — Lite", Decimal("19.00"))
    assert february.gross_amount == Decimal("22.61")
    sub.refresh_from_db()
    assert (sub.tariff, sub.status, sub.scheduled_tariff) == (lite, "active", None)
    assert sub.next_invoice_on == date(2026, 3, 15)
    assert SubscriptionEvent.objects.filter(subscription=sub, kind="tariff_changed").count() == 1
