"""Each plan says what its subscribers may do in the portal; staff are never limited by it."""

from datetime import date

import pytest
import time_machine

from subscriptions.models import Subscription
from subscriptions.services import subscription_cancel, subscription_change_tariff

pytestmark = pytest.mark.django_db
NOW = "2026-03-20 10:00:00+01:00"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _plan(plans, *, cancel: bool, change: bool) -> None:
    plans.basic.portal_may_cancel = cancel
    plans.basic.portal_may_change = change
    plans.basic.save()


@pytest.mark.parametrize(
    ("cancel", "change"), [(True, True), (True, False), (False, True), (False, False)]
)
def test_the_page_shows_only_the_actions_the_plan_allows(world, plans, alpha_basic, cancel, change):
    _plan(plans, cancel=cancel, change=change)
    page = world.client(world.alice).get(f"/subscriptions/{alpha_basic.pk}/").content.decode()
    assert (f"/subscriptions/{alpha_basic.pk}/cancel/" in page) is cancel
    assert (f"/subscriptions/{alpha_basic.pk}/change/" in page) is change


def test_a_plan_without_cancellation_refuses_direct_posts_in_the_users_language(
    world, plans, alpha_basic
):
    _plan(plans, cancel=False, change=True)
    client = world.client(world.alice)
    response = client.post(
        f"/subscriptions/{alpha_basic.pk}/cancel/",
        {"reason": "Budget", "confirm": "on"},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 403
    assert response["Content-Language"] == "de"
    assert "Nicht erlaubt" in response.content.decode()
    assert (
        "Your plan does not allow this"
        in client.get(f"/subscriptions/{alpha_basic.pk}/cancel/").content.decode()
    )
    assert Subscription.objects.get(pk=alpha_basic.pk).status == "active"


def test_a_plan_without_plan_management_refuses_direct_posts(world, plans, alpha_basic):
    _plan(plans, cancel=True, change=False)
    client = world.client(world.alice)
    response = client.post(
        f"/subscriptions/{alpha_basic.pk}/change/", {"tariff": plans.pro.pk, "confirm": "on"}
    )
    assert response.status_code == 403
    assert client.post(f"/subscriptions/{alpha_basic.pk}/undo-change/").status_code == 403
    assert Subscription.objects.get(pk=alpha_basic.pk).tariff == plans.basic


def test_withdrawing_a_cancellation_is_refused_too_when_the_plan_forbids_cancelling(
    world, plans, alpha_basic
):
    subscription_cancel(
        subscription=alpha_basic,
        actor=world.staff["acme", "billing"],
        today=date(2026, 3, 20),
        reason="Asked by phone",
    )
    _plan(plans, cancel=False, change=True)
    client = world.client(world.alice)
    assert client.post(f"/subscriptions/{alpha_basic.pk}/undo-cancel/").status_code == 403
    assert Subscription.objects.get(pk=alpha_basic.pk).status == "scheduled_end"


def test_the_service_refuses_a_contact_too(world, plans, alpha_basic):
    from django.core.exceptions import PermissionDenied

    _plan(plans, cancel=False, change=False)
    with pytest.raises(PermissionDenied):
        subscription_cancel(
            subscription=alpha_basic,
            actor=world.alice,
            today=date(2026, 3, 20),
            reason="x",
            as_contact=True,
        )
    with pytest.raises(PermissionDenied):
        subscription_change_tariff(
            subscription=alpha_basic,
            target=plans.pro,
            actor=world.alice,
            today=date(2026, 3, 20),
            as_contact=True,
        )


def test_staff_are_not_limited_by_the_plan(world, plans, alpha_basic):
    _plan(plans, cancel=False, change=False)
    billing = world.staff["acme", "billing"]
    subscription_change_tariff(
        subscription=alpha_basic, target=plans.pro, actor=billing, today=date(2026, 3, 20)
    )
    subscription_cancel(
        subscription=alpha_basic, actor=billing, today=date(2026, 3, 20), reason="By phone"
    )
    assert Subscription.objects.get(pk=alpha_basic.pk).status == "scheduled_end"


def test_the_plan_flags_are_set_in_the_catalogues_back_office(world, plans):
    client = world.client(world.staff["acme", "manager"])
    page = client.get(f"/manage/subscriptions/tariff/{plans.basic.pk}/change/").content.decode()
    assert "portal_may_cancel" in page and "cancellation_needs_approval" in page


def test_outsiders_get_404_not_403(world, plans, alpha_basic):
    _plan(plans, cancel=False, change=False)
    for path in ("cancel/", "change/", "undo-cancel/", "undo-change/"):
        assert (
            world.client(world.bob).post(f"/subscriptions/{alpha_basic.pk}/{path}").status_code
            == 404
        )
