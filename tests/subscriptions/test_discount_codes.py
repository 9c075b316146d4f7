"""Discount codes: every check of finding one, counting uses when redeemed and given back, the
discount line the billing run adds (percent, fixed capped at the net, N periods or for ever,
VAT after the discount), and the back office that manages them."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from billing.models import Invoice, TaxRate
from billing.run import services as billing
from billing.run.lines import period_lines
from core.models import AuditEntry
from core.money import round_money
from core.roles import SYSTEM
from subscriptions.discounts import (
    discount_amount,
    discount_apply,
    discount_code_find,
    discount_code_redeem,
    discount_code_release,
)
from subscriptions.models import DiscountCode, PendingCharge, Subscription
from subscriptions.periods import period_containing
from subscriptions.services import subscription_option_add, subscription_order
from tests.conftest import client_for
from tests.factories import CustomerFactory, OptionFactory, TariffFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 20)
START = date(2026, 1, 15)


@pytest.fixture
def team(world):
    """Acme's Team tariff, 49.00 EUR a month, with 19 % VAT by default."""
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal(19), is_default=True)
    return TariffFactory(
        module__tenant=world.acme, module__name="Helpdesk", name="Team", price="49.00"
    )


@pytest.fixture
def solo(world, team):
    return TariffFactory(module=team.module, name="Solo", price="20.00")


def make_code(world, code="SPRING10", tariffs=(), **kwargs) -> DiscountCode:
    kwargs.setdefault("kind", "percent")
    kwargs.setdefault("value", Decimal(10))
    discount = DiscountCode.objects.create(tenant=world.acme, code=code, **kwargs)
    discount.tariffs.set(tariffs)
    return discount


def subscribe(world, tariff, customer=None, start=START) -> Subscription:
    return subscription_order(
        customer=customer or world.alpha, tariff=tariff, actor=SYSTEM, start_on=start
    )


def redeemed(world, tariff, discount, customer=None, start=START) -> Subscription:
    subscription = subscribe(world, tariff, customer, start)
    return discount_code_redeem(subscription=subscription, code=discount, actor=SYSTEM, today=start)


def invoices_of(subscription) -> list[Invoice]:
    return list(
        Invoice.objects.filter(subscription=subscription)
        .order_by("period_start")
        .prefetch_related("lines")
    )


class TestFind:
    def test_it_finds_a_code_typed_in_any_case_with_spaces(self, world, team):
        discount = make_code(world)
        found = discount_code_find(tenant=world.acme, code="  spring10 ", tariff=team, today=TODAY)
        assert found == discount

    @pytest.mark.parametrize(
        ("changes", "error_code", "words"),
        [
            ({"is_active": False}, "discount_inactive", "no longer valid"),
            ({"expires_on": date(2026, 3, 19)}, "discount_expired", "expired on"),
            ({"max_uses": 3, "uses": 3}, "discount_used_up", "used up"),
            (
                {"kind": "fixed", "value": Decimal(5), "currency": "CHF"},
                "discount_currency",
                "in CHF",
            ),
        ],
    )
    def test_it_refuses_a_code_that_may_not_be_used(self, world, team, changes, error_code, words):
        make_code(world, **changes)
        with pytest.raises(ValidationError) as refused:
            discount_code_find(tenant=world.acme, code="spring10", tariff=team, today=TODAY)
        assert refused.value.code == error_code
        assert words in refused.value.messages[0]

    def test_it_refuses_an_unknown_code(self, world, team):
        with pytest.raises(ValidationError) as refused:
            discount_code_find(tenant=world.acme, code="nope", tariff=team, today=TODAY)
        assert refused.value.code == "discount_unknown"
        assert "There is no discount code NOPE" in refused.value.messages[0]

    def test_another_businesss_code_is_unknown(self, world, team):
        DiscountCode.objects.create(tenant=world.globex, code="GLOBEX", kind="percent", value=5)
        with pytest.raises(ValidationError) as refused:
            discount_code_find(tenant=world.acme, code="globex", tariff=team, today=TODAY)
        assert refused.value.code == "discount_unknown"

    def test_it_is_valid_on_its_last_day_and_below_its_limit(self, world, team):
        make_code(world, expires_on=TODAY, max_uses=3, uses=2)
        assert discount_code_find(tenant=world.acme, code="SPRING10", tariff=team, today=TODAY)

    def test_a_code_limited_to_tariffs_is_refused_for_others(self, world, team, solo):
        make_code(world, tariffs=[solo])
        assert discount_code_find(tenant=world.acme, code="SPRING10", tariff=solo, today=TODAY)
        with pytest.raises(ValidationError) as refused:
            discount_code_find(tenant=world.acme, code="SPRING10", tariff=team, today=TODAY)
        assert refused.value.code == "discount_tariff"

    def test_a_fixed_amount_in_the_tariffs_currency_and_any_percentage_are_fine(self, world, team):
        make_code(world, "FIVE", kind="fixed", value=Decimal(5), currency="EUR")
        make_code(world, "PCT", currency="CHF")  # a percentage has no currency of its own
        for code in ("five", "pct"):
            assert discount_code_find(tenant=world.acme, code=code, tariff=team, today=TODAY)


class TestRedeemAndRelease:
    def test_redeeming_counts_a_use_copies_the_discount_and_is_audited(self, world, team):
        discount = make_code(world, periods=3, max_uses=5)
        subscription = redeemed(world, team, discount)
        discount.refresh_from_db()
        assert discount.uses == 1
        saved = Subscription.objects.get(pk=subscription.pk)
        assert (saved.discount_code, saved.discount_kind) == (discount, "percent")
        assert (saved.discount_value, saved.discount_periods_left) == (Decimal(10), 3)
        assert saved.discount_redeemed_at is not None
        entry = AuditEntry.objects.get(action="discount_code.redeem")
        assert entry.before == {"uses": 0} and entry.after["uses"] == 1

    def test_redeeming_twice_on_one_subscription_counts_once(self, world, team):
        discount = make_code(world)
        subscription = redeemed(world, team, discount)
        discount_code_redeem(subscription=subscription, code="spring10", actor=SYSTEM, today=START)
        discount.refresh_from_db()
        assert discount.uses == 1

    def test_a_discount_copied_on_for_a_preview_is_still_counted_when_redeemed(self, world, team):
        discount = make_code(world)
        subscription = subscribe(world, team)
        discount_apply(subscription, discount)
        subscription.save()  # the checkout saved what it previewed
        discount_code_redeem(subscription=subscription, code=discount, actor=SYSTEM, today=START)
        discount.refresh_from_db()
        assert discount.uses == 1

    def test_redeeming_checks_again_under_the_lock(self, world, team):
        discount = make_code(world, max_uses=1)
        found = discount_code_find(tenant=world.acme, code="SPRING10", tariff=team, today=TODAY)
        DiscountCode.objects.filter(pk=discount.pk).update(uses=1)  # someone else was quicker
        subscription = subscribe(world, team)
        with pytest.raises(ValidationError) as refused:
            discount_code_redeem(subscription=subscription, code=found, actor=SYSTEM, today=TODAY)
        assert refused.value.code == "discount_used_up"
        subscription.refresh_from_db()
        assert subscription.discount_code is None and subscription.discount_kind == ""

    def test_a_second_code_on_one_subscription_is_refused(self, world, team):
        subscription = redeemed(world, team, make_code(world))
        other = make_code(world, "OTHER")
        with pytest.raises(ValidationError) as refused:
            discount_code_redeem(subscription=subscription, code=other, actor=SYSTEM, today=START)
        assert refused.value.code == "discount_already"
        other.refresh_from_db()
        assert other.uses == 0

    def test_another_businesss_code_cannot_be_redeemed(self, world, team):
        theirs = DiscountCode.objects.create(
            tenant=world.globex, code="SPRING10", kind="percent", value=50
        )
        make_code(world)  # acme's own code of the same name is not theirs either
        subscription = subscribe(world, team)
        with pytest.raises(ValidationError) as refused:
            discount_code_redeem(subscription=subscription, code=theirs, actor=SYSTEM, today=START)
        assert refused.value.code == "discount_unknown"
        theirs.refresh_from_db()
        assert theirs.uses == 0

    def test_releasing_gives_the_use_back_once(self, world, team):
        discount = make_code(world, max_uses=1)
        subscription = redeemed(world, team, discount)
        assert discount_code_release(subscription=subscription, actor=SYSTEM) is True
        assert discount_code_release(subscription=subscription, actor=SYSTEM) is False
        discount.refresh_from_db()
        assert discount.uses == 0
        saved = Subscription.objects.get(pk=subscription.pk)
        assert saved.discount_code is None and saved.discount_redeemed_at is None
        assert AuditEntry.objects.filter(action="discount_code.release").count() == 1
        # The use is free again for someone else.
        assert discount_code_find(tenant=world.acme, code="SPRING10", tariff=team, today=START)

    def test_releasing_never_counts_below_zero(self, world, team):
        discount = make_code(world)
        subscription = redeemed(world, team, discount)
        DiscountCode.objects.filter(pk=discount.pk).update(uses=0)
        discount_code_release(subscription=subscription, actor=SYSTEM)
        discount.refresh_from_db()
        assert discount.uses == 0

    def test_releasing_a_subscription_without_a_counted_use_gives_nothing_back(self, world, team):
        discount = make_code(world, uses=4)
        subscription = subscribe(world, team)
        discount_apply(subscription, discount)  # previewed only, never redeemed
        subscription.save()
        assert discount_code_release(subscription=subscription, actor=SYSTEM) is False
        discount.refresh_from_db()
        assert discount.uses == 4

    def test_applying_to_an_unsaved_subscription_touches_no_database(
        self, world, team, django_assert_num_queries
    ):
        discount = make_code(world, periods=2)
        subscription = Subscription(tenant=world.acme, customer=world.alpha, tariff=team)
        with django_assert_num_queries(0):
            discount_apply(subscription, discount)
        assert subscription.pk is None and subscription.discount_periods_left == 2


@pytest.mark.django_db(transaction=True)
def test_two_buyers_of_the_last_use_never_both_get_it(world, team):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this)")
    discount = make_code(world, max_uses=1)
    subscriptions = [subscribe(world, team, customer) for customer in (world.alpha, world.bravo)]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def redeem(subscription: Subscription) -> None:
        from django.db import connections

        try:
            barrier.wait()
            discount_code_redeem(
                subscription=subscription, code="SPRING10", actor=SYSTEM, today=START
            )
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem, args=(s,)) for s in subscriptions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["discount_used_up", "ok"]
    discount.refresh_from_db()
    assert discount.uses == 1
    assert Subscription.objects.filter(discount_code=discount).count() == 1


class TestAmount:
    @pytest.mark.parametrize(
        ("kind", "value", "net", "expected"),
        [
            ("percent", "10", "49.00", "4.90"),
            ("percent", "15", "33.33", "5.00"),  # 4.9995, half-up
            ("percent", "100", "49.00", "49.00"),
            ("fixed", "5", "49.00", "5.00"),
            ("fixed", "60", "49.00", "49.00"),  # capped: an invoice never goes negative
            ("fixed", "5", "0.00", "0.00"),
        ],
    )
    def test_the_amount_taken_off(self, kind, value, net, expected):
        assert discount_amount(kind, Decimal(value), Decimal(net), "EUR") == Decimal(expected)

    @given(
        kind=st.sampled_from(["percent", "fixed"]),
        value=st.decimals(min_value="0.01", max_value="100", places=4),
        net=st.decimals(min_value="0", max_value="100000", places=2),
    )
    def test_it_is_rounded_and_never_more_than_the_net(self, kind, value, net):
        amount = discount_amount(kind, value, net, "EUR")
        assert Decimal(0) <= amount <= net
        assert amount == round_money(amount, "EUR")


class TestBillingRun:
    def test_a_percentage_is_one_line_after_tariff_and_options_before_pending_charges(
        self, world, team
    ):
        seat = OptionFactory(tenant=world.acme, name="Seat", unit_price="5.00")
        team.options.add(seat)
        subscription = redeemed(world, team, make_code(world))
        subscription_option_add(
            subscription=subscription,
            option=seat,
            quantity=2,
            actor=world.staff["acme", "manager"],
            today=START,
        )
        PendingCharge.objects.create(
            tenant=world.acme,
            subscription=subscription,
            description="Setup",
            amount=Decimal(100),
            currency="EUR",
            service_start=START,
            service_end=START,
        )
        billing.billing_run(today=START, tenant=world.acme)
        (invoice,) = invoices_of(subscription)
        lines = list(invoice.lines.all())
        assert [line.description for line in lines] == [
            "Helpdesk — Team",
            "Seat (1 × monthly price)",
            "Discount SPRING10 (−10 %)",
            "Setup",
        ]
        discount = lines[2]
        # 10 % of 49 + 2 × 5, the setup charge is not discounted.
        assert (discount.quantity, discount.unit_price) == (Decimal(1), Decimal("-5.90"))
        assert discount.net_amount == Decimal("-5.90") and discount.tax_rate == Decimal(19)
        assert (discount.service_start, discount.service_end) == (
            lines[0].service_start,
            lines[0].service_end,
        )
        assert discount.subscription_id == subscription.pk
        assert invoice.net_amount == Decimal("153.10")  # 49 + 10 − 5.90 + 100

    def test_a_fixed_amount_is_capped_at_the_net(self, world, team):
        discount = make_code(world, "WELCOME", kind="fixed", value=Decimal(60), currency="EUR")
        subscription = redeemed(world, team, discount)
        billing.billing_run(today=START, tenant=world.acme)
        (invoice,) = invoices_of(subscription)
        line = invoice.lines.all()[1]
        assert line.description == "Discount WELCOME (−60.00 EUR per period)"
        assert line.net_amount == Decimal("-49.00")
        assert invoice.net_amount == invoice.tax_amount == invoice.gross_amount == Decimal(0)

    def test_a_fixed_amount_below_the_net(self, world, team):
        discount = make_code(world, "WELCOME", kind="fixed", value=Decimal(5), currency="EUR")
        subscription = redeemed(world, team, discount)
        billing.billing_run(today=START, tenant=world.acme)
        (invoice,) = invoices_of(subscription)
        assert invoice.lines.all()[1].description == "Discount WELCOME (−5.00 EUR per period)"
        assert invoice.net_amount == Decimal("44.00")

    def test_a_discount_for_the_first_periods_stops_after_them(self, world, team):
        subscription = redeemed(world, team, make_code(world, periods=2))
        billing.billing_run(today=date(2026, 4, 20), tenant=world.acme)
        invoices = invoices_of(subscription)
        assert len(invoices) == 4
        assert [len(i.lines.all()) for i in invoices] == [2, 2, 1, 1]
        assert [i.net_amount for i in invoices] == [Decimal("44.10")] * 2 + [Decimal(49)] * 2
        subscription.refresh_from_db()
        assert subscription.discount_periods_left == 0
        assert subscription.discount_code is not None  # what it had stays visible

    def test_a_first_invoice_issued_at_the_checkout_counts_as_a_discounted_period(
        self, world, team
    ):
        subscription = redeemed(world, team, make_code(world, periods=2))
        first = billing.subscription_invoice_first(
            subscription=subscription, today=START, send=False
        )
        assert first.net_amount == Decimal("44.10")
        subscription.refresh_from_db()
        assert subscription.discount_periods_left == 1
        billing.billing_run(today=date(2026, 3, 20), tenant=world.acme)
        invoices = invoices_of(subscription)
        assert [i.net_amount for i in invoices] == [Decimal("44.10")] * 2 + [Decimal(49)]

    def test_a_discount_for_ever_is_on_every_invoice(self, world, team):
        subscription = redeemed(world, team, make_code(world))
        billing.billing_run(today=TODAY, tenant=world.acme)
        invoices = invoices_of(subscription)
        assert [i.net_amount for i in invoices] == [Decimal("44.10")] * 3
        subscription.refresh_from_db()
        assert subscription.discount_periods_left is None

    def test_the_vat_is_that_of_the_discounted_net(self, world, team):
        subscription = redeemed(world, team, make_code(world))
        billing.billing_run(today=START, tenant=world.acme)
        (invoice,) = invoices_of(subscription)
        lines = list(invoice.lines.all())
        assert lines[1].tax_amount == Decimal("-0.93")  # −4.90 × 19 %, half-up
        # calculations.totals: the VAT is the sum of the lines' VAT at their rate …
        assert invoice.tax_amount == sum(line.tax_amount for line in lines)
        # … which is here the VAT of the discounted net: 44.10 × 19 % = 8.379.
        assert invoice.net_amount == Decimal("44.10")
        assert invoice.tax_amount == round_money(Decimal("44.10") * 19 / 100, "EUR")
        assert invoice.gross_amount == Decimal("52.48")

    @pytest.mark.parametrize("price", ["49.00", "10.05", "33.33", "0.99", "1234.56"])
    def test_the_vat_differs_from_that_of_the_discounted_net_by_per_line_rounding_only(
        self, world, price
    ):
        TaxRate.objects.create(tenant=world.acme, name="VAT", rate=Decimal(19), is_default=True)
        tariff = TariffFactory(module__tenant=world.acme, price=price)
        subscription = redeemed(world, tariff, make_code(world, value=Decimal("12.5")))
        billing.billing_run(today=START, tenant=world.acme)
        (invoice,) = invoices_of(subscription)
        discounted = Decimal(price) - round_money(Decimal(price) * Decimal("0.125"), "EUR")
        assert invoice.net_amount == discounted
        vat = round_money(discounted * 19 / 100, "EUR")
        assert abs(invoice.tax_amount - vat) <= Decimal("0.01")  # two lines, each rounded

    def test_reverse_charge_invoices_carry_no_vat_on_the_discount_either(self, world, team):
        world.alpha.vat_regime = "reverse_charge"
        world.alpha.vat_id = "FR40303265045"
        world.alpha.save()
        subscription = redeemed(world, team, make_code(world))
        billing.billing_run(today=START, tenant=world.acme)
        (invoice,) = invoices_of(subscription)
        discount = invoice.lines.all()[1]
        assert (discount.net_amount, discount.tax_rate, discount.tax_amount) == (
            Decimal("-4.90"),
            Decimal(0),
            Decimal(0),
        )
        assert invoice.vat_regime == "reverse_charge"
        assert invoice.net_amount == invoice.gross_amount == Decimal("44.10")
        assert invoice.tax_amount == 0

    def test_the_run_takes_no_query_per_discounted_subscription(self, world, team):
        subscribe(world, team, start=date(2026, 1, 1))  # no discount
        billing.billing_run(today=date(2026, 1, 1), tenant=world.acme)  # warms the caches
        redeemed(world, team, make_code(world, "ONE"), world.bravo, date(2026, 2, 1))
        with CaptureQueriesContext(connection) as one:
            assert billing.billing_run(today=date(2026, 2, 1), tenant=world.acme).invoices == 2
        for n, customer in enumerate(CustomerFactory.create_batch(3, tenant=world.acme)):
            redeemed(world, team, make_code(world, f"MORE{n}"), customer, date(2026, 3, 1))
        with CaptureQueriesContext(connection) as four:
            assert billing.billing_run(today=date(2026, 3, 1), tenant=world.acme).invoices == 5
        assert len(four) == len(one)
        assert Invoice.objects.filter(lines__description__startswith="Discount").count() == 5

    def test_the_checkouts_preview_of_an_unsaved_subscription_has_the_line_without_queries(
        self, world, team, django_assert_num_queries
    ):
        discount = make_code(world)
        subscription = Subscription(
            tenant=world.acme,
            customer=world.alpha,
            tariff=team,
            currency="EUR",
            price_items=[{"description": "Team", "unit_price": "49.00"}],
            interval_months=1,
            anchor_on=START,
            started_on=START,
        )
        world.alpha.tenant = world.acme
        discount_apply(subscription, discount)
        period = period_containing(START, 1, START)
        with django_assert_num_queries(0):
            lines = period_lines(subscription, period, [], [], Decimal(19))
        assert [line["net_amount"] for line in lines] == [Decimal("49.00"), Decimal("-4.90")]
        assert lines[1]["description"] == "Discount SPRING10 (−10 %)"


def staff(world, role):
    return client_for(world.staff["acme", role], world.acme)


ADD_URL = "/manage/subscriptions/discountcode/add/"


def form(**changes) -> dict:
    data = {
        "code": "spring10",
        "description": "Spring offer",
        "kind": "percent",
        "value": "10",
        "currency": "",
        "periods": "3",
        "max_uses": "100",
        "expires_on": "2026-06-30",
        "is_active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


class TestBackOffice:
    def test_a_manager_adds_a_code_stored_upper_case(self, world, team):
        response = staff(world, "manager").post(ADD_URL, form(tariffs=[team.pk]))
        assert response.status_code == 302
        discount = DiscountCode.objects.get()
        assert (discount.code, discount.tenant, discount.uses) == ("SPRING10", world.acme, 0)
        assert list(discount.tariffs.all()) == [team]
        assert AuditEntry.objects.filter(action="discount_code.create").exists()

    def test_a_duplicate_code_in_another_case_is_a_form_error(self, world, team):
        make_code(world)
        response = staff(world, "manager").post(ADD_URL, form(code=" Spring10 "))
        assert response.status_code == 200
        assert "already exists" in str(response.context["adminform"].form.errors)
        assert DiscountCode.objects.count() == 1

    def test_the_same_code_at_another_business_is_fine(self, world, team):
        DiscountCode.objects.create(tenant=world.globex, code="SPRING10", kind="percent", value=5)
        assert staff(world, "manager").post(ADD_URL, form()).status_code == 302

    @pytest.mark.parametrize(
        ("changes", "field", "words"),
        [
            ({"kind": "fixed", "value": "5"}, "currency", "needs the currency"),
            ({"value": "120"}, "value", "at most 100"),
            ({"value": "0"}, "value", "above zero"),
        ],
    )
    def test_impossible_codes_are_form_errors(self, world, team, changes, field, words):
        response = staff(world, "manager").post(ADD_URL, form(**changes))
        assert response.status_code == 200
        assert words in str(response.context["adminform"].form.errors[field])
        assert not DiscountCode.objects.exists()

    def test_only_the_businesss_own_tariffs_can_be_chosen(self, world, team):
        theirs = TariffFactory(module__tenant=world.globex)
        client = staff(world, "manager")
        choices = client.get(ADD_URL).context["adminform"].form.fields["tariffs"].queryset
        assert list(choices) == [team]
        response = client.post(ADD_URL, form(tariffs=[theirs.pk]))
        assert response.status_code == 200 and not DiscountCode.objects.exists()

    def test_a_manager_changes_a_code_but_never_its_uses(self, world, team):
        discount = make_code(world, uses=2)
        url = f"/manage/subscriptions/discountcode/{discount.pk}/change/"
        response = staff(world, "manager").post(url, form(value="15", uses="0"))
        assert response.status_code == 302
        discount.refresh_from_db()
        assert (discount.value, discount.uses) == (Decimal(15), 2)

    @pytest.mark.parametrize("role", ["support", "billing"])
    def test_lower_roles_may_not_add_or_change(self, world, team, role):
        discount = make_code(world)
        client = staff(world, role)
        assert client.post(ADD_URL, form(code="OTHER")).status_code == 403
        url = f"/manage/subscriptions/discountcode/{discount.pk}/change/"
        client.post(url, form(value="50"))
        discount.refresh_from_db()
        assert discount.value == Decimal(10)
        assert DiscountCode.objects.count() == 1

    def test_the_list_shows_uses_of_the_limit_and_only_this_businesss_codes(self, world, team):
        make_code(world, max_uses=5, uses=2)
        DiscountCode.objects.create(tenant=world.globex, code="THEIRS", kind="percent", value=5)
        content = staff(world, "support").get("/manage/subscriptions/discountcode/").content
        assert b"SPRING10" in content and b"2 / 5" in content and b"THEIRS" not in content

    def test_another_businesss_code_is_a_404(self, world):
        theirs = DiscountCode.objects.create(
            tenant=world.globex, code="THEIRS", kind="percent", value=5
        )
        url = f"/manage/subscriptions/discountcode/{theirs.pk}/change/"
        assert staff(world, "owner").get(url).status_code == 404


class TestShownOnTheSubscription:
    def test_staff_and_customer_read_the_discount_and_periods_left(self, world, team):
        subscription = redeemed(world, team, make_code(world, periods=2))
        text = "Discount SPRING10: −10 %, 2 periods left"
        page = staff(world, "support").get(
            f"/manage/subscriptions/subscription/{subscription.pk}/change/"
        )
        assert text in page.content.decode()
        portal = world.client(world.alice).get(f"/subscriptions/{subscription.pk}/")
        assert text in portal.content.decode()

    def test_a_discount_for_ever_says_so(self, world, team):
        discount = make_code(world, "WELCOME", kind="fixed", value=Decimal(5), currency="EUR")
        subscription = redeemed(world, team, discount)
        portal = world.client(world.alice).get(f"/subscriptions/{subscription.pk}/")
        assert (
            "Discount WELCOME: −5.00 EUR per period, for as long as it runs"
            in portal.content.decode()
        )
