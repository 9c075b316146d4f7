"""The back office's dashboard: every figure against a data set built by hand, with known dates
and amounts — test accounts, the test series, another business and another currency mixed in,
so that leaving them out is checked too."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from billing.documents.models import Invoice
from billing.documents.services import (
    invoice_add_line,
    invoice_create_draft,
    invoice_finalize,
    invoice_void,
)
from billing.insights import selectors
from billing.insights.charts import Series, bar_chart, line_chart, value_scale
from billing.models import DunningCase, TaxRate
from billing.payments.services import invoice_mark_paid
from contracts.models import Customer
from core.roles import SYSTEM
from subscriptions.models import Subscription, SubscriptionOption, SubscriptionStatus
from tests.conftest import client_for
from tests.factories import CustomerFactory, OptionFactory, TariffFactory
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)
D = Decimal


def sub(customer, *, status=SubscriptionStatus.ACTIVE, price="10.00", currency="EUR", **extra):
    tariff = TariffFactory(tenant=customer.tenant, module__tenant=customer.tenant, price=price)
    values = {
        "tenant": customer.tenant,
        "customer": customer,
        "tariff": tariff,
        "status": status,
        "started_on": date(2025, 1, 1),
        "anchor_on": date(2025, 1, 1),
        "currency": currency,
        "price_items": [{"description": "Plan", "unit_price": price}],
        "interval_months": 1,
        "minimum_term_months": 0,
        "notice_period_days": 0,
        "change_notice_days": 0,
        **extra,
    }
    return Subscription.objects.create(**values)


def period_invoice(subscription, start: date, end: date, net: str, *, one_off=None) -> Invoice:
    """What the billing run makes: the period's recurring line (and a one-off charge)."""
    invoice = invoice_create_draft(
        customer=subscription.customer,
        actor=SYSTEM,
        currency=subscription.currency,
        subscription=subscription,
        period_start=start,
    )
    invoice_add_line(
        invoice=invoice,
        description="Plan",
        unit_price=D(net),
        actor=SYSTEM,
        service_start=start,
        service_end=end,
        subscription=subscription,
    )
    if one_off:
        first, last, amount = one_off
        invoice_add_line(
            invoice=invoice,
            description="Upgrade, prorated",
            unit_price=D(amount),
            actor=SYSTEM,
            service_start=first,
            service_end=last,
            subscription=subscription,
        )
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=start, send=False)


def one_off_invoice(customer, issued: date, net: str, currency="EUR") -> Invoice:
    invoice = invoice_create_draft(customer=customer, actor=SYSTEM, currency=currency)
    invoice_add_line(invoice=invoice, description="Workshop", unit_price=D(net), actor=SYSTEM)
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=issued, send=False)


def pay(invoice: Invoice, on: date, amount: str | None = None) -> Invoice:
    invoice.refresh_from_db()
    return invoice_mark_paid(
        invoice=invoice,
        actor=SYSTEM,
        amount=D(amount) if amount else invoice.amount_due,
        received_on=on,
    )


def cancelled(subscription, *, on: datetime, ends_on: date, reason: str, status) -> None:
    Subscription.objects.filter(pk=subscription.pk).update(
        cancelled_at=on, ends_on=ends_on, cancellation_reason=reason, status=status
    )


def month(year: int, number: int) -> tuple[date, date]:
    first = date(year, number, 1)
    return first, selectors.month_end(first)


@dataclass
class Books:
    alpha: Customer
    bravo: Customer
    carol: Customer
    erin: Customer
    tester: Customer


@pytest.fixture
def books(world) -> Books:
    """acme's books, in euros (20 % VAT, 14 days to pay):

    - alpha: monthly from March 2026, €100, €150 from May (with a €25 one-off in May, paid €10
      of it); March paid on the 5th after a dunning case; a USD workshop; a test-series invoice.
    - bravo: a year from 1 Nov 2025 at €1,200 (paid 20 Nov); a €50 workshop on 20 May 2026.
    - carol: monthly from January at €80, €60 from March, nothing after April (cancelled on
      10 April, "Too expensive", ended 30 April); January's dunning failed, April's runs.
    - erin: June invoice of €40 voided; cancelled 5 June "too  expensive " to end 30 June.
    - frank: cancelled 15 Dec 2025 with no reason, ended 31 Dec.
    - tester (a test account): €500 a month, paid, cancelled, dunned — never counted.
    - globex (another business) has an invoice in euros — never counted.
    """
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=D(20), is_default=True)
    TaxRate.objects.create(tenant=world.globex, name="Standard", rate=D(20), is_default=True)
    Customer.objects.filter(pk__in=[world.alpha.pk, world.bravo.pk]).update(payment_terms_days=14)
    alpha, bravo = (Customer.objects.get(pk=c.pk) for c in (world.alpha, world.bravo))
    make = lambda name, **kw: CustomerFactory(  # noqa: E731
        tenant=world.acme, name=name, payment_terms_days=14, **kw
    )
    carol, erin, frank = make("Carol"), make("Erin"), make("Frank")
    tester = make("Tester", is_test_account=True)

    s_alpha = sub(alpha, price="150.00", next_invoice_on=date(2026, 7, 1))
    for number, net in ((3, "100.00"), (4, "100.00"), (6, "150.00")):
        period_invoice(s_alpha, *month(2026, number), net)
    may = period_invoice(
        s_alpha, *month(2026, 5), "150.00", one_off=(date(2026, 5, 10), date(2026, 5, 31), "25")
    )
    pay(may, date(2026, 5, 20), "10.00")
    march = Invoice.objects.get(subscription=s_alpha, period_start=date(2026, 3, 1))
    pay(march, date(2026, 3, 5))
    DunningCase.objects.create(
        tenant=world.acme,
        invoice=march,
        started_on=date(2026, 3, 2),
        closed_on=date(2026, 3, 5),
        outcome="recovered",
    )
    one_off_invoice(alpha, date(2026, 6, 1), "300.00", currency="USD")
    Customer.objects.filter(pk=alpha.pk).update(is_test_account=True)
    alpha.refresh_from_db()
    test_series = one_off_invoice(alpha, date(2026, 6, 2), "999.00")
    Customer.objects.filter(pk=alpha.pk).update(is_test_account=False)
    alpha.refresh_from_db()
    assert test_series.is_test
    pay(test_series, date(2026, 6, 3))

    s_bravo = sub(bravo, price="1200.00", interval_months=12, next_invoice_on=date(2026, 11, 1))
    pay(
        period_invoice(s_bravo, date(2025, 11, 1), date(2026, 10, 31), "1200.00"),
        date(2025, 11, 20),
    )
    one_off_invoice(bravo, date(2026, 5, 20), "50.00")

    s_carol = sub(carol, price="60.00")
    carol_invoices = [
        period_invoice(s_carol, *month(2026, n), net)
        for n, net in ((1, "80.00"), (2, "80.00"), (3, "60.00"), (4, "60.00"))
    ]
    cancelled(
        s_carol,
        on=datetime(2026, 4, 10, 9, tzinfo=UTC),
        ends_on=date(2026, 4, 30),
        reason="Too expensive",
        status=SubscriptionStatus.ENDED,
    )
    DunningCase.objects.create(
        tenant=world.acme,
        invoice=carol_invoices[0],
        started_on=date(2026, 1, 2),
        closed_on=date(2026, 2, 1),
        outcome="exhausted",
    )
    DunningCase.objects.create(
        tenant=world.acme, invoice=carol_invoices[3], started_on=date(2026, 4, 2)
    )

    s_erin = sub(erin, price="40.00", next_invoice_on=date(2026, 7, 1))
    june = period_invoice(s_erin, *month(2026, 6), "40.00")
    invoice_void(invoice=june, actor=SYSTEM, reason="Ordered by mistake", today=date(2026, 6, 2))
    cancelled(
        s_erin,
        on=datetime(2026, 6, 5, 9, tzinfo=UTC),
        ends_on=date(2026, 6, 30),
        reason="too  expensive ",
        status=SubscriptionStatus.SCHEDULED_END,
    )

    s_frank = sub(frank)
    cancelled(
        s_frank,
        on=datetime(2025, 12, 15, 9, tzinfo=UTC),
        ends_on=date(2025, 12, 31),
        reason="",
        status=SubscriptionStatus.ENDED,
    )
    # An order abandoned at the checkout never ran: not churn.
    sub(frank, status=SubscriptionStatus.ENDED, ends_on=date(2026, 5, 3))

    s_tester = sub(tester, price="500.00", next_invoice_on=date(2026, 6, 16))
    for n in range(1, 7):
        invoice = period_invoice(s_tester, *month(2026, n), "500.00")
        pay(invoice, date(2026, n, 3))
    DunningCase.objects.create(
        tenant=world.acme,
        invoice=invoice,
        started_on=date(2026, 6, 2),
        closed_on=date(2026, 6, 3),
        outcome="recovered",
    )
    cancelled(
        s_tester,
        on=datetime(2026, 6, 1, 9, tzinfo=UTC),
        ends_on=date(2026, 6, 10),
        reason="Testing",
        status=SubscriptionStatus.ENDED,
    )

    outsider = sub(world.charlie_co, price="700.00", next_invoice_on=date(2026, 6, 20))
    period_invoice(outsider, *month(2026, 5), "700.00")
    return Books(alpha, bravo, carol, erin, tester)


def figures(world, name: str, **kwargs):
    return getattr(selectors, name)(tenant=world.acme, currency="EUR", today=TODAY, **kwargs)


def test_mrr_and_its_movements_month_by_month(world, books):
    mrr = figures(world, "mrr_by_month")
    by_month = {m.month: m for m in mrr}
    assert mrr[0].month == date(2025, 7, 1) and mrr[-1].month == date(2026, 6, 1)
    expected = {
        # month: (MRR, new, expansion, contraction, churn)
        date(2025, 10, 1): ("0", "0", "0", "0", "0"),
        date(2025, 11, 1): ("100.00", "100.00", "0", "0", "0"),  # bravo's year: 1,200 / 12
        date(2025, 12, 1): ("100.00", "0", "0", "0", "0"),
        date(2026, 1, 1): ("180.00", "80.00", "0", "0", "0"),  # carol
        date(2026, 2, 1): ("180.00", "0", "0", "0", "0"),
        date(2026, 3, 1): ("260.00", "100.00", "0", "20.00", "0"),  # alpha; carol 80 → 60
        date(2026, 4, 1): ("260.00", "0", "0", "0", "0"),
        # alpha 100 → 150 (the one-off €25 is not recurring); carol gone
        date(2026, 5, 1): ("250.00", "0", "50.00", "0", "60.00"),
        date(2026, 6, 1): ("250.00", "0", "0", "0", "0"),  # erin's June was voided
    }
    for first, (total, new, expansion, contraction, churn) in expected.items():
        m = by_month[first]
        assert (m.mrr, m.new, m.expansion, m.contraction, m.churn) == (
            D(total),
            D(new),
            D(expansion),
            D(contraction),
            D(churn),
        ), first
    for before, after in itertools.pairwise(mrr):
        assert after.mrr == before.mrr + after.net_change


def test_revenue_by_month_nets_credit_notes_and_counts_payments(world, books):
    revenue = {r.month: r for r in figures(world, "revenue_by_month")}
    assert revenue[date(2025, 11, 1)].invoiced_net == D("1200.00")
    assert revenue[date(2025, 11, 1)].received == D("1440.00")
    assert revenue[date(2026, 1, 1)].invoiced_net == D("80.00")
    assert revenue[date(2026, 3, 1)].invoiced_net == D("160.00")
    assert revenue[date(2026, 3, 1)].received == D("120.00")
    # alpha 150 + 25 one-off, bravo's workshop 50; alpha paid 10 of it
    assert revenue[date(2026, 5, 1)].invoiced_net == D("225.00")
    assert revenue[date(2026, 5, 1)].received == D("10.00")
    june = revenue[date(2026, 6, 1)]
    # alpha 150 and erin's 40, voided by a credit note; not the test series, not the USD one
    assert (june.invoiced_net, june.credited_net, june.net_after_credit_notes) == (
        D("190.00"),
        D("40.00"),
        D("150.00"),
    )
    assert june.received == D("0")
    assert revenue[date(2025, 7, 1)].invoiced_net == D("0")


def test_receivables_by_age_on_the_day(world, books):
    ageing = {b.key: (b.count, b.amount) for b in figures(world, "receivables_ageing")}
    assert ageing == {
        "current": (1, D("180.00")),  # alpha's June, due today
        "1-30": (1, D("60.00")),  # bravo's workshop, due 3 June
        "31-60": (1, D("200.00")),  # alpha's May, 210 less the 10 paid, due 15 May
        "61-90": (2, D("192.00")),  # alpha's and carol's April, due 15 April
        "90+": (3, D("264.00")),  # carol's January, February, March
    }


def test_churn_counts_cancellations_and_ends_with_their_reasons(world, books):
    churn = {c.month: (c.cancelled, c.ended) for c in figures(world, "churn_by_month")}
    assert churn[date(2025, 12, 1)] == (1, 1)
    assert churn[date(2026, 4, 1)] == (1, 1)
    assert churn[date(2026, 5, 1)] == (0, 0)  # the abandoned order is no churn
    assert churn[date(2026, 6, 1)] == (1, 0)  # erin runs until 30 June; the tester is left out
    assert sum(c for c, _e in churn.values()) == 3
    reasons = figures(world, "churn_reasons")
    assert [(r.reason, r.count) for r in reasons] == [("Too expensive", 2), ("", 1)]


def test_renewals_in_the_next_30_days_week_by_week(world, books):
    grace = CustomerFactory(tenant=world.acme, name="Grace")
    s_grace = sub(
        grace,
        next_invoice_on=date(2026, 6, 20),
        quantity=2,
        price_items=[
            {"description": "Base", "unit_price": "30.00"},
            {"description": "Seats", "unit_price": "20.00"},
        ],
        discount_kind="percent",
        discount_value=D(10),
    )
    SubscriptionOption.objects.create(
        tenant=world.acme,
        subscription=s_grace,
        option=OptionFactory(tenant=world.acme),
        unit_price=D("5.00"),
        added_on=TODAY,
    )
    henry = CustomerFactory(tenant=world.acme, name="Henry")
    s_henry = sub(henry, next_invoice_on=date(2026, 6, 25), price="90.00")
    Subscription.objects.filter(pk=s_henry.pk).update(
        status=SubscriptionStatus.SCHEDULED_CHANGE,
        scheduled_tariff=TariffFactory(tenant=world.acme, module__tenant=world.acme, price="70"),
        change_on=date(2026, 6, 25),
    )
    sub(henry, status=SubscriptionStatus.SUSPENDED, next_invoice_on=date(2026, 6, 17))
    sub(henry, next_invoice_on=date(2026, 6, 18), remaining_cycles=0)
    sub(henry, next_invoice_on=date(2026, 7, 15))  # the 31st day: outside
    sub(henry, next_invoice_on=date(2026, 7, 1), currency="USD")

    with assert_max_queries(4):
        weeks = figures(world, "renewals_upcoming")
    assert [(w.first_day, w.last_day, w.count, w.amount) for w in weeks] == [
        # grace: (30 + 20) × 2 + option 5 = 105, less 10 %
        (date(2026, 6, 15), date(2026, 6, 21), 1, D("94.50")),
        (date(2026, 6, 22), date(2026, 6, 28), 1, D("70.00")),  # henry, on the new tariff
        (date(2026, 6, 29), date(2026, 7, 5), 1, D("150.00")),  # alpha; erin ends 30 June
        (date(2026, 7, 6), date(2026, 7, 12), 0, D("0")),
        (date(2026, 7, 13), date(2026, 7, 14), 0, D("0")),
    ]


def test_dunning_recoveries_and_open_cases(world, books):
    dunning = {
        d.month: (d.recovered, d.failed, d.amount_recovered)
        for d in figures(world, "dunning_by_month")
    }
    assert dunning[date(2026, 2, 1)] == (0, 1, D("0"))
    assert dunning[date(2026, 3, 1)] == (1, 0, D("120.00"))
    assert dunning[date(2026, 6, 1)] == (0, 0, D("0"))  # the tester's is left out
    still_open = selectors.dunning_open(tenant=world.acme, currency="EUR")
    assert (still_open.count, still_open.amount) == (1, D("72.00"))


def test_the_currencies_are_the_business_own_first_then_the_others_it_invoiced(world, books):
    assert selectors.insight_currencies(tenant=world.acme) == ["EUR", "USD"]
    assert selectors.insight_currencies(tenant=world.globex) == ["EUR"]
    usd = selectors.revenue_by_month(tenant=world.acme, currency="USD", today=TODAY)
    assert usd[-1].invoiced_net == D("300.00") and sum(r.invoiced_net for r in usd) == D("300")


def test_every_figure_is_a_fixed_number_of_queries(world, books):
    with assert_max_queries(1):
        figures(world, "mrr_by_month")
    with assert_max_queries(3):
        figures(world, "revenue_by_month")
    with assert_max_queries(1):
        figures(world, "receivables_ageing")
    with assert_max_queries(2):
        figures(world, "churn_by_month")
    with assert_max_queries(1):
        figures(world, "dunning_by_month")


# ---------------------------------------------------------------------------------------------
# The page


@time_machine.travel(datetime(2026, 6, 15, 10, tzinfo=UTC))
def test_support_staff_see_the_dashboard_on_the_home_page(world, books):
    client = client_for(world.staff["acme", "support"], world.acme)
    with assert_max_queries(30):
        response = client.get("/manage/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="img"' in page and '<title id="chart-mrr-svgtitle">' in page
    for title in ("Monthly recurring revenue", "MRR movements", "Revenue by month"):
        assert title in page
    assert "Receivables by age" in page and "Renewals in the next 30 days" in page
    assert "Dunning" in page and "Too expensive" in page
    assert "€250.00" in page  # today's MRR
    assert "Data table" in page and '<th scope="row">June 2026</th>' in page
    assert "€1,440.00" in page  # bravo's payment, in the revenue table
    assert "999" not in page.split('id="ki-heading"')[1].split("</section>")[0]
    # The other currency, on its own
    usd = client.get("/manage/?currency=usd").content.decode()
    assert 'aria-current="page">USD' in usd and "US$300.00" in usd
    # A currency the business never invoiced in: its own instead, not an error
    odd = client.get("/manage/?currency=%3Cscript%3E")
    assert odd.status_code == 200 and 'aria-current="page">EUR' in odd.content.decode()


@time_machine.travel(datetime(2026, 6, 15, 10, tzinfo=UTC))
def test_another_business_sees_only_its_own_figures(world, books):
    client = client_for(world.staff["globex", "owner"], world.globex)
    page = client.get("/manage/").content.decode()  # globex speaks French
    assert 'id="ki-heading"' in page and "Revenu mensuel récurrent" in page
    assert "€250.00" not in page and "Too expensive" not in page
    # acme's staff at globex's host: not theirs
    assert client_for(world.staff["acme", "owner"], world.globex).get("/manage/").status_code in (
        302,
        403,
    )


def test_customers_never_see_it(world):
    response = world.client(world.alice).get("/manage/")
    assert response.status_code in (302, 403)
    assert "Monthly recurring revenue" not in response.content.decode()


# ---------------------------------------------------------------------------------------------
# The drawing


def test_the_value_axis_takes_in_zero_and_every_value_on_round_ticks():
    assert value_scale(D("0"), D("260")) == (D("0"), D("300"), D("100"))
    assert value_scale(D("-60"), D("100")) == (D("-100"), D("100"), D("50"))
    assert value_scale(D("0"), D("0")) == (D("0"), D("1"), D("0.25"))


def test_stacked_bars_grow_up_for_gains_and_down_for_losses():
    chart = bar_chart(
        key="k",
        title="T",
        description="d",
        categories=["Jan", "Feb"],
        series=[Series("Up", [D(50), D(0)], "ki-c1"), Series("Down", [D(-25), D(0)], "ki-c4")],
        money=str,
        tick_label=str,
        stacked=True,
    )
    up, down = chart.bars
    assert up.y + up.height == pytest.approx(chart.zero_y)
    assert down.y == pytest.approx(chart.zero_y)
    assert up.height == pytest.approx(2 * down.height)
    assert up.title == "Jan — Up: 50" and chart.table_rows[1] == ["Feb", "0", "0"]
    assert not chart.empty


def test_a_line_passes_through_each_value():
    chart = line_chart(
        key="k",
        title="T",
        description="d",
        categories=["a", "b", "c"],
        name="MRR",
        values=[D(0), D(100), D(200)],
        money=str,
        tick_label=str,
    )
    ys = [p.y for p in chart.line_points]
    assert ys[0] == pytest.approx(chart.zero_y) and ys[0] - ys[1] == pytest.approx(ys[1] - ys[2])
    assert chart.line_path.count(",") == 3
