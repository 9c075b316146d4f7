from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEntry
from core.roles import SYSTEM
from subscriptions.models import PendingCharge, Subscription, SubscriptionStatus, TariffPrice
from subscriptions.services import (
    cancellation_earliest_end,
    subscription_cancel,
    subscription_change_tariff,
    subscription_option_add,
    subscription_order,
    subscription_period_amount,
    subscription_undo_cancel,
    subscriptions_apply_due,
    tariff_change_preview,
)
from tests.factories import ContactFactory, TariffFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 20)  # in Alpha's third period (15 Mar – 14 Apr)


class TestOrder:
    def test_the_tariff_is_copied_so_later_price_changes_do_not_touch_it(self, alpha_basic, plans):
        TariffPrice.objects.filter(tariff=plans.basic).update(unit_price=Decimal("99"))
        alpha_basic.refresh_from_db()
        assert subscription_period_amount(alpha_basic) == Decimal("10.00")
        assert alpha_basic.notice_period_days == 30 and alpha_basic.minimum_term_months == 3
        assert alpha_basic.next_invoice_on == date(2026, 1, 15)

    def test_support_staff_may_not_order(self, world, plans):
        with pytest.raises(PermissionDenied):
            subscription_order(
                customer=world.alpha,
                tariff=plans.basic,
                actor=world.staff["acme", "support"],
                start_on=TODAY,
            )

    def test_another_tenants_tariff_cannot_be_ordered(self, world, plans):
        with pytest.raises(ValidationError):
            subscription_order(
                customer=world.charlie_co, tariff=plans.basic, actor=SYSTEM, start_on=TODAY
            )

    def test_period_amounts_round_each_line(self, world, alpha_basic, plans):
        subscription_option_add(
            subscription=alpha_basic,
            option=plans.seat,
            quantity=3,
            actor=world.staff["acme", "manager"],
            today=TODAY,
        )
        assert subscription_period_amount(alpha_basic) == Decimal("20.00")  # 10 + 9.999→10.00


class TestChangeTariff:
    def test_only_allowed_targets(self, world, alpha_basic, plans):
        stranger = TariffFactory(module=plans.helpdesk, name="Enterprise")
        with pytest.raises(ValidationError):
            tariff_change_preview(subscription=alpha_basic, target=stranger, today=TODAY)

    def test_an_upgrade_applies_at_once_with_the_rest_of_the_period_prorated(
        self, world, alpha_basic, plans
    ):
        preview = subscription_change_tariff(
            subscription=alpha_basic,
            target=plans.pro,
            actor=world.alice,
            today=TODAY,
            as_contact=True,
        )
        assert preview.immediate and preview.is_upgrade
        # 26 of the 31 days of 15 Mar – 14 Apr remain: 26/31 × (25.00 − 10.00) = 12.580… → 12.58
        assert preview.prorated_charge == Decimal("12.58")
        alpha_basic.refresh_from_db()
        assert alpha_basic.tariff == plans.pro and alpha_basic.status == "active"
        charge = PendingCharge.objects.get(subscription=alpha_basic)
        assert charge.amount == Decimal("12.58") and charge.service_end == date(2026, 4, 14)

    def test_where_the_business_prefers_it_upgrades_wait_for_the_period_end(
        self, world, alpha_basic, plans
    ):
        world.acme.proration_policy = "period_end"
        world.acme.save()
        alpha_basic.refresh_from_db()
        preview = subscription_change_tariff(
            subscription=alpha_basic,
            target=plans.pro,
            actor=world.alice,
            today=TODAY,
            as_contact=True,
        )
        assert not preview.immediate and preview.effective_on == date(2026, 4, 15)
        assert not PendingCharge.objects.exists()

    def test_a_downgrade_waits_for_the_notice_and_the_period_start(self, world, plans):
        sub = subscription_order(
            customer=world.alpha, tariff=plans.pro, actor=SYSTEM, start_on=date(2026, 1, 15)
        )
        sub.change_notice_days = 30
        sub.save()
        preview = subscription_change_tariff(
            subscription=sub, target=plans.basic, actor=world.alice, today=TODAY, as_contact=True
        )
        # 30 days' notice from 20 March reaches 19 April: the next period start is 15 May.
        assert preview.effective_on == date(2026, 5, 15) and not preview.is_upgrade
        sub.refresh_from_db()
        assert sub.status == SubscriptionStatus.SCHEDULED_CHANGE
        assert (sub.scheduled_tariff, sub.change_on) == (plans.basic, date(2026, 5, 15))

    def test_another_interval_is_never_prorated(self, world, alpha_basic, plans):
        preview = tariff_change_preview(subscription=alpha_basic, target=plans.yearly, today=TODAY)
        assert preview.is_upgrade and not preview.immediate

    @pytest.mark.parametrize("role", ["member", "billing"])
    def test_only_account_owners_change_tariffs(self, world, alpha_basic, plans, role):
        contact = ContactFactory(customer=world.alpha, role=role).user
        with pytest.raises(PermissionDenied):
            subscription_change_tariff(
                subscription=alpha_basic,
                target=plans.pro,
                actor=contact,
                today=TODAY,
                as_contact=True,
            )

    def test_another_customers_owner_cannot(self, world, alpha_basic, plans):
        with pytest.raises(PermissionDenied):
            subscription_change_tariff(
                subscription=alpha_basic,
                target=plans.pro,
                actor=world.bob,
                today=TODAY,
                as_contact=True,
            )

    def test_the_daily_job_applies_a_scheduled_change_once(self, world, plans):
        sub = subscription_order(
            customer=world.alpha, tariff=plans.pro, actor=SYSTEM, start_on=date(2026, 1, 15)
        )
        subscription_change_tariff(
            subscription=sub, target=plans.basic, actor=world.alice, today=TODAY, as_contact=True
        )
        assert subscriptions_apply_due(today=date(2026, 4, 14)) == {"changed": 0, "ended": 0}
        assert subscriptions_apply_due(today=date(2026, 4, 15)) == {"changed": 1, "ended": 0}
        assert subscriptions_apply_due(today=date(2026, 4, 16)) == {"changed": 0, "ended": 0}
        sub.refresh_from_db()
        assert sub.tariff == plans.basic and sub.status == "active" and sub.change_on is None


class TestCancel:
    def test_customers_get_the_earliest_date_the_terms_allow(self, world, alpha_basic):
        # Minimum term 3 months (to 15 Apr), 30 days' notice from 20 Mar (to 19 Apr):
        # the first period end after both is 14 May.
        assert cancellation_earliest_end(alpha_basic, TODAY) == date(2026, 5, 14)
        sub = subscription_cancel(
            subscription=alpha_basic,
            actor=world.alice,
            today=TODAY,
            reason="Too expensive",
            as_contact=True,
        )
        assert sub.status == "scheduled_end" and sub.ends_on == date(2026, 5, 14)
        assert AuditEntry.objects.filter(action="subscription.cancelled").exists()

    def test_a_reason_is_required(self, world, alpha_basic):
        with pytest.raises(ValidationError):
            subscription_cancel(
                subscription=alpha_basic,
                actor=world.alice,
                today=TODAY,
                reason="  ",
                as_contact=True,
            )

    def test_customers_and_billing_staff_cannot_choose_the_date(self, world, alpha_basic):
        for actor, as_contact in ((world.alice, True), (world.staff["acme", "billing"], False)):
            with pytest.raises(ValidationError):
                subscription_cancel(
                    subscription=alpha_basic,
                    actor=actor,
                    today=TODAY,
                    reason="x",
                    ends_on=date(2026, 3, 31),
                    as_contact=as_contact,
                )

    def test_a_manager_may_choose_any_date_from_today(self, world, alpha_basic):
        manager = world.staff["acme", "manager"]
        sub = subscription_cancel(
            subscription=alpha_basic,
            actor=manager,
            today=TODAY,
            reason="Goodwill",
            ends_on=date(2026, 3, 25),
        )
        assert sub.ends_on == date(2026, 3, 25)
        subscription_undo_cancel(subscription=sub, actor=manager, today=TODAY)
        with pytest.raises(ValidationError):
            subscription_cancel(
                subscription=sub, actor=manager, today=TODAY, reason="x", ends_on=date(2026, 3, 1)
            )

    def test_a_cancellation_can_be_undone_until_it_takes_effect(self, world, alpha_basic):
        subscription_cancel(
            subscription=alpha_basic,
            actor=world.alice,
            today=TODAY,
            reason="Moving",
            as_contact=True,
        )
        sub = subscription_undo_cancel(
            subscription=alpha_basic, actor=world.alice, today=date(2026, 5, 14), as_contact=True
        )
        assert sub.status == "active" and sub.ends_on is None

    def test_after_the_last_day_it_ends_and_cannot_be_undone(self, world, alpha_basic):
        subscription_cancel(
            subscription=alpha_basic,
            actor=world.alice,
            today=TODAY,
            reason="Moving",
            as_contact=True,
        )
        assert subscriptions_apply_due(today=date(2026, 5, 14))["ended"] == 0
        assert subscriptions_apply_due(today=date(2026, 5, 15))["ended"] == 1
        sub = Subscription.objects.get(pk=alpha_basic.pk)
        assert sub.status == "ended" and sub.next_invoice_on is None
        with pytest.raises(ValidationError):
            subscription_undo_cancel(
                subscription=sub, actor=world.alice, today=date(2026, 5, 15), as_contact=True
            )

    def test_cancelling_drops_a_scheduled_tariff_change(self, world, plans):
        sub = subscription_order(
            customer=world.alpha, tariff=plans.pro, actor=SYSTEM, start_on=date(2026, 1, 15)
        )
        subscription_change_tariff(
            subscription=sub, target=plans.basic, actor=world.alice, today=TODAY, as_contact=True
        )
        sub = subscription_cancel(
            subscription=sub, actor=world.alice, today=TODAY, reason="x", as_contact=True
        )
        assert sub.scheduled_tariff is None and sub.status == "scheduled_end"
        with pytest.raises(ValidationError):
            tariff_change_preview(subscription=sub, target=plans.basic, today=TODAY)


class TestOptions:
    def test_managers_add_options_the_tariff_offers(self, world, alpha_basic, plans):
        booked = subscription_option_add(
            subscription=alpha_basic,
            option=plans.seat,
            actor=world.staff["acme", "manager"],
            today=TODAY,
        )
        booked.refresh_from_db()
        assert booked.unit_price == Decimal("3.333")

    def test_lower_roles_cannot(self, world, alpha_basic, plans):
        with pytest.raises(PermissionDenied):
            subscription_option_add(
                subscription=alpha_basic,
                option=plans.seat,
                actor=world.staff["acme", "billing"],
                today=TODAY,
            )

    def test_an_option_the_tariff_does_not_offer_is_refused(self, world, alpha_basic, plans):
        from tests.factories import OptionFactory

        other = OptionFactory(tenant=world.acme)
        with pytest.raises(ValidationError):
            subscription_option_add(
                subscription=alpha_basic,
                option=other,
                actor=world.staff["acme", "manager"],
                today=TODAY,
            )


def test_the_hourly_task_uses_each_tenants_calendar_day(world, plans):
    import time_machine

    from subscriptions.tasks import apply_due_subscription_changes

    world.acme.timezone = "Pacific/Auckland"  # already the next day there
    world.acme.save()
    sub = subscription_order(
        customer=world.alpha, tariff=plans.basic, actor=SYSTEM, start_on=date(2026, 1, 15)
    )
    subscription_cancel(
        subscription=sub,
        actor=world.staff["acme", "manager"],
        today=date(2026, 3, 1),
        reason="x",
        ends_on=date(2026, 3, 20),
    )
    with time_machine.travel("2026-03-20 13:00:00+00:00", tick=False):  # 21 Mar in Auckland
        assert apply_due_subscription_changes() == {"changed": 0, "ended": 1}


def test_the_first_order_makes_the_account_owner_the_contract_partner(world, plans):
    from contracts.models import Contact, Customer

    subscription_order(customer=world.alpha, tariff=plans.basic, actor=SYSTEM, start_on=TODAY)
    assert Customer.objects.get(pk=world.alpha.pk).contract_partner == Contact.objects.get(
        user=world.alice
    )


class TestReviewedEdges:
    def test_a_change_to_another_interval_starts_a_new_rhythm(self, world, alpha_basic, plans):
        subscription_change_tariff(
            subscription=alpha_basic,
            target=plans.yearly,
            actor=world.alice,
            today=TODAY,
            as_contact=True,
        )
        alpha_basic.refresh_from_db()
        change_on = alpha_basic.change_on
        assert change_on == date(2026, 4, 15)
        subscriptions_apply_due(today=change_on)
        sub = Subscription.objects.get(pk=alpha_basic.pk)
        assert sub.anchor_on == change_on and sub.next_invoice_on == change_on
        period = sub.current_period(change_on)
        assert (period.start, period.end) == (date(2026, 4, 15), date(2027, 4, 15))
        assert sub.started_on == date(2026, 1, 15)  # the contract still began in January

    def test_a_subscription_not_started_yet_runs_at_least_its_first_period(self, world, plans):
        sub = subscription_order(
            customer=world.alpha, tariff=plans.pro, actor=SYSTEM, start_on=date(2026, 4, 1)
        )
        sub.notice_period_days = 5
        sub.save()
        assert cancellation_earliest_end(sub, TODAY) == date(2026, 4, 30)

    def test_an_upgrade_before_the_start_is_not_prorated(self, world, plans):
        sub = subscription_order(
            customer=world.alpha, tariff=plans.basic, actor=SYSTEM, start_on=date(2026, 4, 1)
        )
        sub.change_notice_days = 0
        preview = tariff_change_preview(subscription=sub, target=plans.pro, today=TODAY)
        assert not preview.immediate and preview.effective_on == date(2026, 4, 1)

    def test_a_scheduled_change_can_be_revised_and_withdrawn(self, world, plans):
        from subscriptions.services import subscription_undo_change

        sub = subscription_order(
            customer=world.alpha, tariff=plans.pro, actor=SYSTEM, start_on=date(2026, 1, 15)
        )
        subscription_change_tariff(
            subscription=sub, target=plans.basic, actor=world.alice, today=TODAY, as_contact=True
        )
        plans.pro.allowed_changes.add(plans.yearly)
        subscription_change_tariff(
            subscription=sub, target=plans.yearly, actor=world.alice, today=TODAY, as_contact=True
        )
        sub.refresh_from_db()
        assert sub.scheduled_tariff == plans.yearly
        subscription_undo_change(subscription=sub, actor=world.alice, as_contact=True)
        sub.refresh_from_db()
        assert sub.status == "active" and sub.scheduled_tariff is None

    def test_an_option_in_another_currency_is_refused(self, world, alpha_basic):
        from tests.factories import OptionFactory

        dollars = OptionFactory(tenant=world.acme, currency="USD")
        alpha_basic.tariff.options.add(dollars)
        with pytest.raises(ValidationError):
            subscription_option_add(
                subscription=alpha_basic,
                option=dollars,
                actor=world.staff["acme", "manager"],
                today=TODAY,
            )

    def test_a_booked_option_keeps_its_price_when_the_quantity_changes(
        self, world, alpha_basic, plans
    ):
        manager = world.staff["acme", "manager"]
        subscription_option_add(
            subscription=alpha_basic, option=plans.seat, actor=manager, today=TODAY
        )
        plans.seat.unit_price = Decimal("9.99")
        plans.seat.save()
        booked = subscription_option_add(
            subscription=alpha_basic,
            option=plans.seat,
            actor=manager,
            today=date(2026, 6, 1),
            quantity=3,
        )
        booked.refresh_from_db()
        assert booked.unit_price == Decimal("3.333") and booked.added_on == TODAY
        assert booked.quantity == 3

    def test_an_ended_subscription_takes_no_options(self, world, alpha_basic, plans):
        manager = world.staff["acme", "manager"]
        subscription_cancel(
            subscription=alpha_basic, actor=manager, today=TODAY, reason="x", ends_on=TODAY
        )
        subscriptions_apply_due(today=date(2026, 3, 21))
        alpha_basic.refresh_from_db()
        with pytest.raises(ValidationError):
            subscription_option_add(
                subscription=alpha_basic, option=plans.seat, actor=manager, today=date(2026, 3, 22)
            )
