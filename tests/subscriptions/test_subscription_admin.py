from datetime import date

import pytest
import time_machine

from core.roles import SYSTEM
from subscriptions.models import Subscription, SubscriptionOption
from tests.conftest import client_for
from tests.helpers import admin_form_data, assert_max_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel("2026-03-20 10:00:00+01:00", tick=False):
        yield


def staff(world, role):
    return client_for(world.staff["acme", role], world.acme)


def change_url(subscription):
    return f"/manage/subscriptions/subscription/{subscription.pk}/change/"


def test_billing_staff_cancel_at_the_earliest_date(world, alpha_basic):
    client = staff(world, "billing")
    page = client.get(change_url(alpha_basic))
    response = client.post(
        change_url(alpha_basic),
        admin_form_data(page, cancel_on="2026-05-14", cancellation_note="Asked by phone"),
    )
    assert response.status_code == 302
    sub = Subscription.objects.get(pk=alpha_basic.pk)
    assert sub.status == "scheduled_end" and sub.ends_on == date(2026, 5, 14)


def test_billing_staff_may_not_choose_another_date(world, alpha_basic):
    client = staff(world, "billing")
    page = client.get(change_url(alpha_basic))
    response = client.post(
        change_url(alpha_basic),
        admin_form_data(page, cancel_on="2026-03-31", cancellation_note="x"),
    )
    assert response.status_code == 200
    assert "Only Managers" in str(response.context["adminform"].form.errors)
    assert Subscription.objects.get(pk=alpha_basic.pk).status == "active"


def test_managers_choose_any_date(world, alpha_basic):
    client = staff(world, "manager")
    page = client.get(change_url(alpha_basic))
    client.post(
        change_url(alpha_basic),
        admin_form_data(page, cancel_on="2026-03-31", cancellation_note="Goodwill"),
    )
    assert Subscription.objects.get(pk=alpha_basic.pk).ends_on == date(2026, 3, 31)


def test_managers_book_options_and_billing_staff_cannot(world, alpha_basic, plans):
    page = staff(world, "billing").get(change_url(alpha_basic))
    forced = admin_form_data(
        page,
        **{
            "options-TOTAL_FORMS": "1",
            "options-0-option": plans.seat.pk,
            "options-0-quantity": "2",
        },
    )
    staff(world, "billing").post(change_url(alpha_basic), forced)
    assert not SubscriptionOption.objects.exists()
    client = staff(world, "manager")
    page = client.get(change_url(alpha_basic))
    response = client.post(
        change_url(alpha_basic),
        admin_form_data(
            page,
            **{
                "options-TOTAL_FORMS": "1",
                "options-0-option": plans.seat.pk,
                "options-0-quantity": "2",
            },
        ),
    )
    assert response.status_code == 302
    booked = SubscriptionOption.objects.get()
    assert booked.quantity == 2 and str(booked.unit_price) == "3.3330"


def test_staff_order_a_subscription_for_a_customer(world, plans):
    client = staff(world, "billing")
    url = "/manage/subscriptions/subscription/add/"
    response = client.post(
        url,
        admin_form_data(
            client.get(url),
            customer=world.alpha.pk,
            tariff=plans.pro.pk,
            started_on="2026-04-01",
            quantity="2",
        ),
    )
    assert response.status_code == 302
    sub = Subscription.objects.get()
    assert sub.customer == world.alpha and sub.quantity == 2 and sub.price_items


def test_support_may_look_only(world, alpha_basic):
    client = staff(world, "support")
    assert client.get(change_url(alpha_basic)).status_code == 200
    assert client.get("/manage/subscriptions/subscription/add/").status_code == 403


def test_another_tenants_subscription_is_a_404(world, alpha_basic):
    client = client_for(world.staff["globex", "owner"], world.globex)
    assert client.get(change_url(alpha_basic)).status_code == 404


def test_catalogue_edits_are_for_managers(world, plans):
    url = f"/manage/subscriptions/tariff/{plans.basic.pk}/change/"
    assert staff(world, "billing").get(url).status_code == 200  # read only
    page = staff(world, "manager").get(url)
    response = staff(world, "manager").post(url, admin_form_data(page, notice_period_days="60"))
    assert response.status_code == 302
    plans.basic.refresh_from_db()
    assert plans.basic.notice_period_days == 60
    billing_page = staff(world, "billing").get(url)
    assert (
        staff(world, "billing")
        .post(url, admin_form_data(billing_page, notice_period_days="1"))
        .status_code
        == 403
    )


def test_the_subscription_list_costs_the_same_with_more_rows(world, plans):
    from subscriptions.services import subscription_order

    client = staff(world, "support")
    subscription_order(
        customer=world.alpha, tariff=plans.basic, actor=SYSTEM, start_on=date(2026, 1, 1)
    )
    client.get("/manage/subscriptions/subscription/")
    with assert_max_queries(40) as few:
        client.get("/manage/subscriptions/subscription/")
    for _ in range(10):
        subscription_order(
            customer=world.bravo, tariff=plans.pro, actor=SYSTEM, start_on=date(2026, 2, 1)
        )
    with assert_max_queries(len(few.captured_queries)):
        client.get("/manage/subscriptions/subscription/")


def test_staff_change_the_tariff_and_withdraw_on_the_customers_behalf(world, alpha_basic, plans):
    client = staff(world, "billing")
    page = client.get(change_url(alpha_basic))
    client.post(change_url(alpha_basic), admin_form_data(page, change_to=plans.pro.pk))
    assert Subscription.objects.get(pk=alpha_basic.pk).tariff == plans.pro  # upgrade, at once
    client.post(
        change_url(alpha_basic),
        admin_form_data(
            client.get(change_url(alpha_basic)), cancel_on="2026-05-14", cancellation_note="Phone"
        ),
    )
    assert Subscription.objects.get(pk=alpha_basic.pk).status == "scheduled_end"
    client.post(
        change_url(alpha_basic),
        admin_form_data(client.get(change_url(alpha_basic)), withdraw="cancellation"),
    )
    assert Subscription.objects.get(pk=alpha_basic.pk).status == "active"


def test_two_things_at_once_is_a_form_error(world, alpha_basic, plans):
    client = staff(world, "manager")
    page = client.get(change_url(alpha_basic))
    response = client.post(
        change_url(alpha_basic),
        admin_form_data(
            page, change_to=plans.pro.pk, cancel_on="2026-05-14", cancellation_note="x"
        ),
    )
    assert response.status_code == 200
    assert Subscription.objects.get(pk=alpha_basic.pk).tariff == plans.basic


def test_billing_staff_cancel_a_subscription_with_a_booked_option(world, alpha_basic, plans):
    # Given an add-on booked by a Manager, shown to Billing staff as read-only rows
    from subscriptions.services import subscription_option_add

    subscription_option_add(
        subscription=alpha_basic, option=plans.seat, actor=SYSTEM, today=date(2026, 3, 1)
    )
    client = staff(world, "billing")
    page = client.get(change_url(alpha_basic))
    # When they cancel it on the customer's behalf
    response = client.post(
        change_url(alpha_basic),
        admin_form_data(page, cancel_on="2026-05-14", cancellation_note="Asked by phone"),
    )
    # Then it is cancelled and the option stays as it was
    assert response.status_code == 302
    assert Subscription.objects.get(pk=alpha_basic.pk).status == "scheduled_end"
    assert SubscriptionOption.objects.get().quantity == 1
