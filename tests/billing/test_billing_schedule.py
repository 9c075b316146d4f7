"""The customer's billing schedule: forecast by the run's own code, then checked against what the
billing run issues when its days come — month by month for a year, with a scheduled tariff
change, a discount running out, a fixed number of cycles, a scheduled end and customer credit."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from billing.models import CustomerCreditEntry, Invoice, TaxRate
from billing.run import services as billing
from billing.run.forecast import billing_schedule
from core.roles import SYSTEM
from subscriptions.discounts import discount_code_redeem
from subscriptions.models import DiscountCode
from subscriptions.services import (
    subscription_cancel,
    subscription_change_tariff,
    subscription_order,
    subscriptions_apply_due,
)
from tests.factories import CustomerFactory, TariffFactory
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 1)


def _day(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 6, tzinfo=UTC), tick=False)


def _run_day(day: date, tenant) -> None:
    """One day of the business's jobs: scheduled changes and ends first, then the run."""
    with _day(day):
        subscriptions_apply_due(today=day, tenant=tenant)
        billing.billing_run(today=day, tenant=tenant)


@pytest.fixture
def account(world):
    """Alpha's subscriptions on 1 March 2026, everything due before then already invoiced."""
    acme = world.acme
    TaxRate.objects.create(tenant=acme, name="Standard", rate=Decimal(19), is_default=True)
    team = TariffFactory(module__tenant=acme, module__name="Helpdesk", name="Team", price="49.00")
    # Two months' notice for a change: the yearly tariff takes over on 10 May.
    team.change_notice_days = 60
    team.save()
    team_yearly = TariffFactory(
        module=team.module, name="Team yearly", price="490.00", interval_months=12
    )
    team.allowed_changes.add(team_yearly)
    archive = TariffFactory(
        module__tenant=acme,
        module__name="Archive",
        name="Yearly",
        price="240.00",
        interval_months=12,
        minimum_term_months=24,
        notice_period_days=90,
    )
    onboarding = TariffFactory(module__tenant=acme, module__name="Onboarding", price="30.00")
    hosting = TariffFactory(module__tenant=acme, module__name="Hosting", price="20.00")

    def order(tariff, start, **kwargs):
        return subscription_order(
            customer=world.alpha, tariff=tariff, actor=SYSTEM, start_on=start, **kwargs
        )

    subs = {
        "helpdesk": order(team, date(2026, 1, 10)),
        "archive": order(archive, date(2025, 9, 20)),
        "onboarding": order(onboarding, date(2026, 2, 15), remaining_cycles=4),
        "hosting": order(hosting, date(2025, 12, 5)),
    }
    _run_day(date(2026, 2, 28), acme)  # January's, February's and the yearly's first invoices
    code = DiscountCode.objects.create(
        tenant=acme, code="SPRING", kind="percent", value=10, periods=2
    )
    discount_code_redeem(subscription=subs["helpdesk"], code=code, actor=SYSTEM, today=TODAY)
    manager = world.staff["acme", "manager"]
    subscription_change_tariff(
        subscription=subs["helpdesk"], target=team_yearly, actor=manager, today=TODAY
    )
    subscription_cancel(
        subscription=subs["hosting"],
        actor=manager,
        today=TODAY,
        reason="In-house now",
        ends_on=date(2026, 7, 4),
    )
    CustomerCreditEntry.objects.create(
        tenant=acme, customer=world.alpha, currency="EUR", amount=Decimal("100.00")
    )
    for sub in subs.values():
        sub.refresh_from_db()
    return subs


def test_the_forecast_is_what_the_billing_run_then_issues_for_a_year(world, account):
    # Given the schedule on 1 March
    schedule = billing_schedule(tenant=world.acme, customer=world.alpha, today=TODAY)
    issued_before = set(Invoice.objects.values_list("pk", flat=True))
    assert schedule.until == date(2027, 3, 1)

    # When the business's daily jobs run every day of the year that follows
    day = TODAY
    while day < schedule.until:
        _run_day(day, world.acme)
        day += timedelta(days=1)

    # Then each invoice is the one forecast: its day, period, amounts and the credit it took
    issued = Invoice.objects.filter(customer=world.alpha).exclude(pk__in=issued_before)
    actual = sorted(
        (
            i.issue_date,
            i.subscription_id,
            i.period_start,
            i.net_amount,
            i.tax_amount,
            i.gross_amount,
            i.amount_credited,
        )
        for i in issued
    )
    forecast = sorted(
        (
            f.issue_date,
            f.subscription.pk,
            f.period.start,
            f.net_amount,
            f.tax_amount,
            f.gross_amount,
            f.credit_applied,
        )
        for f in schedule.invoices
    )
    assert forecast == actual
    assert len(actual) == 11  # spelt out below

    helpdesk = [f for f in schedule.invoices if f.subscription == account["helpdesk"]]
    # 10 Mar, 10 Apr monthly with 10 % off; from 10 May yearly, anchored there.
    assert [f.issue_date for f in helpdesk] == [
        date(2026, 3, 10),
        date(2026, 4, 10),
        date(2026, 5, 10),
    ]
    assert [f.net_amount for f in helpdesk] == [
        Decimal("44.10"),
        Decimal("44.10"),
        Decimal("490.00"),
    ]
    assert [f.discount_amount for f in helpdesk] == [Decimal("4.90"), Decimal("4.90"), Decimal(0)]
    assert [f.discount_periods_left for f in helpdesk[:2]] == [1, 0]
    assert [f.tariff_changed for f in helpdesk] == [False, False, True]
    assert helpdesk[2].tariff_name == "Team yearly"
    assert helpdesk[2].period.last_day == date(2027, 5, 9)

    onboarding = [f for f in schedule.invoices if f.subscription == account["onboarding"]]
    assert [(f.issue_date, f.cycles_left, f.is_last) for f in onboarding] == [
        (date(2026, 3, 15), 2, False),
        (date(2026, 4, 15), 1, False),
        (date(2026, 5, 15), 0, True),
    ]
    hosting = [f for f in schedule.invoices if f.subscription == account["hosting"]]
    assert [f.issue_date.month for f in hosting] == [3, 4, 5, 6]
    assert hosting[-1].is_last and hosting[-1].service_end == date(2026, 7, 4)
    archive = [f for f in schedule.invoices if f.subscription == account["archive"]]
    assert [(f.issue_date, f.gross_amount) for f in archive] == [
        (date(2026, 9, 20), Decimal("285.60"))
    ]

    # The 100.00 of credit: hosting on 5 March (23.80), helpdesk on 10 March (52.48), the rest
    # of it on onboarding's 15 March invoice (35.70 asked, 23.72 left).
    credited = [(f.issue_date, f.credit_applied) for f in schedule.invoices if f.credit_applied]
    assert credited == [
        (date(2026, 3, 5), Decimal("23.80")),
        (date(2026, 3, 10), Decimal("52.48")),
        (date(2026, 3, 15), Decimal("23.72")),
    ]
    (total,) = schedule.totals
    assert total.credit_now == Decimal("100.00") and total.credit_left == Decimal(0)
    assert total.credit_applied == Decimal("100.00")
    assert total.gross_amount == sum((f.gross_amount for f in schedule.invoices), Decimal(0))
    assert total.amount_due == total.gross_amount - Decimal("100.00")


def test_it_says_when_each_subscription_may_be_left(world, account):
    schedule = billing_schedule(tenant=world.acme, customer=world.alpha, today=TODAY)
    outlook = {o.subscription.pk: o for o in schedule.outlooks}

    archive = outlook[account["archive"].pk]
    # 24 months from 20 Sep 2025, ending at a yearly period's end, 90 days' notice.
    assert archive.minimum_term_ends == date(2027, 9, 19)
    assert archive.earliest_end == date(2027, 9, 19)
    assert archive.cancel_by == date(2027, 6, 22)

    helpdesk = outlook[account["helpdesk"].pk]
    assert (helpdesk.change_tariff, helpdesk.change_on) == ("Team yearly", date(2026, 5, 10))
    assert helpdesk.minimum_term_ends is None
    # 30 days' notice from 1 March: the monthly period ending on 9 April.
    assert helpdesk.earliest_end == date(2026, 4, 9)
    assert helpdesk.cancel_by == date(2026, 3, 11)

    hosting = outlook[account["hosting"].pk]
    assert hosting.ends_on == date(2026, 7, 4) and hosting.earliest_end is None


def test_it_forecasts_as_many_months_as_asked(world, account):
    schedule = billing_schedule(tenant=world.acme, customer=world.alpha, today=TODAY, months=3)
    assert schedule.until == date(2026, 6, 1)
    assert [f.issue_date for f in schedule.invoices][-1] == date(2026, 5, 15)
    assert all(TODAY <= f.issue_date < date(2026, 6, 1) for f in schedule.invoices)


def test_another_customers_schedule_shows_none_of_alphas(world, account):
    schedule = billing_schedule(tenant=world.acme, customer=world.bravo, today=TODAY)
    assert schedule.invoices == [] and schedule.outlooks == [] and schedule.totals == []


def test_the_customer_must_be_the_business_s(world, account):
    with pytest.raises(ValueError):
        billing_schedule(tenant=world.globex, customer=world.alpha, today=TODAY)


def test_the_query_count_does_not_grow_with_the_subscriptions(world, account):
    tariff = TariffFactory(module__tenant=world.acme, module__name="Seats", price="5.00")
    customer = CustomerFactory(tenant=world.acme)

    def count() -> int:
        with assert_max_queries(100) as ctx:
            billing_schedule(tenant=world.acme, customer=customer, today=TODAY)
        return len(ctx.captured_queries)

    subscription_order(customer=customer, tariff=tariff, actor=SYSTEM, start_on=TODAY)
    few = count()
    for _ in range(6):
        subscription_order(customer=customer, tariff=tariff, actor=SYSTEM, start_on=TODAY)
    assert count() == few
    with assert_max_queries(few):
        billing_schedule(tenant=world.acme, customer=customer, today=TODAY)


def test_the_page_shows_the_customer_its_schedule_with_net_and_gross(world, account):
    with _day(TODAY):
        response = world.client(world.alice).get("/subscriptions/schedule/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Billing schedule" in page and "Team yearly" in page and "Archive" in page
    assert "52.48" in page and "44.10" in page  # helpdesk on 10 March: gross, net
    assert "Discount" in page and "Last invoice" in page and "New tariff" in page
    assert "if you cancel by" in page
    assert "1 more discounted invoice" in page and "The last discounted invoice" in page


def test_another_customer_sees_none_of_alphas_schedule(world, account):
    for outsider in (world.bob, world.charlie):
        with _day(TODAY):
            response = world.client(outsider).get("/subscriptions/schedule/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "Helpdesk" not in page and "Archive" not in page and "52.48" not in page
        # bob reads English (acme), charlie French (globex)
        assert "No invoice is due in this time." in page or "Aucune facture n'est" in page


def test_the_subscriptions_page_links_the_schedule(world, account):
    page = world.client(world.alice).get("/subscriptions/").content.decode()
    assert 'id="schedule-link" href="/subscriptions/schedule/"' in page


def test_an_upgrade_s_prorated_charge_rides_on_the_next_forecast_invoice(world):
    """An immediate upgrade leaves a pending charge: the forecast puts it on the next invoice
    and that invoice, once the run issues it, is the forecast one."""
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal(19), is_default=True)
    world.acme.proration_policy = "immediate"
    world.acme.save()
    basic = TariffFactory(module__tenant=world.acme, module__name="CRM", price="10.00")
    pro = TariffFactory(module=basic.module, name="Pro", price="40.00")
    basic.allowed_changes.add(pro)
    subscription = subscription_order(
        customer=world.alpha, tariff=basic, actor=SYSTEM, start_on=date(2026, 2, 1)
    )
    _run_day(date(2026, 2, 1), world.acme)
    subscription_change_tariff(
        subscription=subscription,
        target=pro,
        actor=world.staff["acme", "manager"],
        today=date(2026, 2, 15),
    )
    schedule = billing_schedule(tenant=world.acme, customer=world.alpha, today=date(2026, 2, 15))
    march = schedule.invoices[0]
    assert march.issue_date == date(2026, 3, 1)
    assert len(march.lines) == 2 and march.lines[1].description.startswith("Upgrade to")
    assert march.net_amount == Decimal("40.00") + Decimal("15.00")  # 30 × 14/28 days
    _run_day(date(2026, 3, 1), world.acme)
    invoice = Invoice.objects.get(subscription=subscription, period_start=date(2026, 3, 1))
    assert (invoice.net_amount, invoice.tax_amount, invoice.gross_amount) == (
        march.net_amount,
        march.tax_amount,
        march.gross_amount,
    )
    assert [f.net_amount for f in schedule.invoices[1:3]] == [Decimal("40.00")] * 2
