from datetime import date

import pytest
import time_machine

from core.roles import SYSTEM
from subscriptions.models import Subscription
from subscriptions.services import subscription_order
from tests.factories import ContactFactory
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.django_db
NOW = "2026-03-20 10:00:00+01:00"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_list_shows_what_the_customer_has_and_when_it_renews(world, alpha_basic):
    content = world.client(world.alice).get("/subscriptions/").content.decode()
    assert "Helpdesk" in content and "Basic" in content
    assert "€10.00" in content and "per month" in content
    assert "Renews on 15 Apr 2026" in content


def test_the_list_speaks_the_customers_language(world, alpha_basic):
    client = world.client(world.alice)
    client.cookies["django_language"] = "de"
    content = client.get("/subscriptions/").content.decode()
    assert "10,00\xa0€" in content and "pro Monat" in content


@pytest.mark.usefixtures("no_page_cache")
def test_the_list_costs_the_same_with_more_subscriptions(world, plans):
    client = world.client(world.alice)
    subscription_order(
        customer=world.alpha, tariff=plans.basic, actor=SYSTEM, start_on=date(2026, 1, 1)
    )
    client.get("/subscriptions/")
    with assert_max_queries(20) as few:
        client.get("/subscriptions/")
    from subscriptions.services import subscription_change_tariff, subscription_option_add

    manager = world.staff["acme", "manager"]
    for _ in range(8):  # with what the list shows of each: options, a scheduled change
        sub = subscription_order(
            customer=world.alpha, tariff=plans.pro, actor=SYSTEM, start_on=date(2026, 2, 1)
        )
        subscription_option_add(
            subscription=sub, option=plans.seat, actor=manager, today=date(2026, 3, 20)
        )
        subscription_change_tariff(
            subscription=sub, target=plans.basic, actor=manager, today=date(2026, 3, 20)
        )
    with assert_max_queries(len(few.captured_queries)):
        assert client.get("/subscriptions/").status_code == 200


def test_the_detail_page_offers_change_and_cancel_to_the_owner(world, alpha_basic):
    content = world.client(world.alice).get(f"/subscriptions/{alpha_basic.pk}/").content
    assert f"/subscriptions/{alpha_basic.pk}/change/".encode() in content
    assert f"/subscriptions/{alpha_basic.pk}/cancel/".encode() in content


def test_members_see_but_cannot_change_or_cancel(world, alpha_basic):
    client = world.client(ContactFactory(customer=world.alpha, role="member").user)
    detail = client.get(f"/subscriptions/{alpha_basic.pk}/")
    assert detail.status_code == 200
    assert f"/subscriptions/{alpha_basic.pk}/change/".encode() not in detail.content
    assert client.get(f"/subscriptions/{alpha_basic.pk}/change/").status_code == 403
    assert (
        client.post(
            f"/subscriptions/{alpha_basic.pk}/cancel/", {"reason": "x", "confirm": "on"}
        ).status_code
        == 403
    )


def test_changing_tariff_previews_then_confirms(world, alpha_basic, plans):
    client = world.client(world.alice)
    page = client.get(f"/subscriptions/{alpha_basic.pk}/change/")
    assert b"Pro yearly" in page.content and b"Confirm the change" not in page.content
    preview = client.get(f"/subscriptions/{alpha_basic.pk}/change/?tariff={plans.pro.pk}")
    content = preview.content.decode()
    assert "Confirm the change" in content and "€12.58" in content and "Today" in content
    done = client.post(f"/subscriptions/{alpha_basic.pk}/change/", {"tariff": plans.pro.pk})
    assert done.status_code == 302
    alpha_basic.refresh_from_db()
    assert alpha_basic.tariff == plans.pro
    assert "Your tariff is now Pro." in client.get(done["Location"]).content.decode()


def test_a_tariff_that_is_not_offered_is_a_404_not_a_500(world, alpha_basic, plans):
    client = world.client(world.alice)
    assert client.get(f"/subscriptions/{alpha_basic.pk}/change/?tariff=999999").status_code == 404
    assert (
        client.post(f"/subscriptions/{alpha_basic.pk}/change/", {"tariff": "nonsense"}).status_code
        == 404
    )


def test_cancelling_shows_the_date_and_needs_a_reason_and_a_confirmation(world, alpha_basic):
    client = world.client(world.alice)
    page = client.get(f"/subscriptions/{alpha_basic.pk}/cancel/").content.decode()
    assert "14 May 2026" in page
    refused = client.post(f"/subscriptions/{alpha_basic.pk}/cancel/", {"reason": ""})
    assert refused.status_code == 200
    assert "Please tell us why you are cancelling." in refused.content.decode()
    assert "Please confirm the cancellation." in refused.content.decode()
    done = client.post(
        f"/subscriptions/{alpha_basic.pk}/cancel/", {"reason": "Budget cuts", "confirm": "on"}
    )
    assert done.status_code == 302
    sub = Subscription.objects.get(pk=alpha_basic.pk)
    assert sub.status == "scheduled_end" and sub.ends_on == date(2026, 5, 14)
    detail = client.get(done["Location"]).content.decode()
    assert "Ends on 14 May 2026" in detail and "Keep my subscription" in detail


def test_the_cancellation_can_be_withdrawn_from_the_portal(world, alpha_basic):
    client = world.client(world.alice)
    client.post(f"/subscriptions/{alpha_basic.pk}/cancel/", {"reason": "x", "confirm": "on"})
    client.post(f"/subscriptions/{alpha_basic.pk}/undo-cancel/")
    assert Subscription.objects.get(pk=alpha_basic.pk).status == "active"


def test_an_empty_list_says_so(world):
    assert b"no subscriptions" in world.client(world.alice).get("/subscriptions/").content
