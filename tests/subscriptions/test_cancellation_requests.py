"""A plan whose cancellations need approval: the customer requests, staff approve or refuse in the
back office, the customer may withdraw while it waits."""

from datetime import date

import pytest
import time_machine
from django.contrib import admin as django_admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from core.audit import AuditEntry
from subscriptions.models import CancellationRequest, Subscription, SubscriptionEvent
from subscriptions.services import (
    cancellation_request_approve,
    cancellation_request_refuse,
    cancellation_request_withdraw,
    subscription_cancel,
)

pytestmark = pytest.mark.django_db
NOW = "2026-03-20 10:00:00+01:00"
TODAY = date(2026, 3, 20)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def needs_approval(plans):
    plans.basic.cancellation_needs_approval = True
    plans.basic.save()


def _request(world, subscription) -> None:
    response = world.client(world.alice).post(
        f"/subscriptions/{subscription.pk}/cancel/", {"reason": "Budget cuts", "confirm": "on"}
    )
    assert response.status_code == 302


def test_the_customer_cancelling_sends_a_request_and_the_subscription_runs_on(
    world, alpha_basic, needs_approval
):
    client = world.client(world.alice)
    form = client.get(f"/subscriptions/{alpha_basic.pk}/cancel/").content.decode()
    assert "Request cancellation" in form
    _request(world, alpha_basic)
    subscription = Subscription.objects.get(pk=alpha_basic.pk)
    assert subscription.status == "active" and subscription.ends_on is None
    request = CancellationRequest.objects.get(subscription=subscription)
    assert request.status == "pending" and request.ends_on == date(2026, 5, 14)
    assert request.reason == "Budget cuts" and request.requested_by == world.alice
    assert SubscriptionEvent.objects.filter(
        subscription=subscription, kind="cancellation_requested"
    ).exists()
    assert AuditEntry.objects.filter(action="subscription.cancellation_requested").exists()
    page = client.get(f"/subscriptions/{alpha_basic.pk}/").content.decode()
    assert "waiting for approval" in page and "Withdraw my cancellation request" in page
    # A second request while one waits is not queued.
    again = client.get(f"/subscriptions/{alpha_basic.pk}/cancel/")
    assert again.status_code == 302
    with pytest.raises(ValidationError):
        subscription_cancel(
            subscription=alpha_basic, actor=world.alice, today=TODAY, reason="x", as_contact=True
        )
    assert CancellationRequest.objects.count() == 1


def test_approving_schedules_the_end_on_the_day_asked_for(world, alpha_basic, needs_approval):
    _request(world, alpha_basic)
    cancellation_request_approve(
        subscription=alpha_basic, actor=world.staff["acme", "billing"], today=TODAY
    )
    subscription = Subscription.objects.get(pk=alpha_basic.pk)
    assert subscription.status == "scheduled_end"
    assert subscription.ends_on == date(2026, 5, 14)
    assert subscription.cancellation_reason == "Budget cuts"
    request = CancellationRequest.objects.get()
    assert request.status == "approved" and request.decided_by == world.staff["acme", "billing"]
    assert subscription.events.filter(kind="cancellation_approved").count() == 1


def test_approving_late_takes_the_earliest_day_the_terms_allow_then(
    world, alpha_basic, needs_approval
):
    _request(world, alpha_basic)
    cancellation_request_approve(
        subscription=alpha_basic, actor=world.staff["acme", "billing"], today=date(2026, 4, 20)
    )
    assert Subscription.objects.get(pk=alpha_basic.pk).ends_on == date(2026, 6, 14)


def test_refusing_records_the_reason_and_keeps_it_running(world, alpha_basic, needs_approval):
    _request(world, alpha_basic)
    with pytest.raises(ValidationError):
        cancellation_request_refuse(
            subscription=alpha_basic, actor=world.staff["acme", "billing"], reason="  "
        )
    cancellation_request_refuse(
        subscription=alpha_basic,
        actor=world.staff["acme", "billing"],
        reason="The minimum term runs until June.",
    )
    subscription = Subscription.objects.get(pk=alpha_basic.pk)
    assert subscription.status == "active" and subscription.ends_on is None
    assert CancellationRequest.objects.get().status == "refused"
    page = world.client(world.alice).get(f"/subscriptions/{alpha_basic.pk}/").content.decode()
    assert "The minimum term runs until June." in page
    assert f"/subscriptions/{alpha_basic.pk}/cancel/" in page  # may ask again


def test_the_customer_withdraws_a_waiting_request(world, alpha_basic, needs_approval):
    _request(world, alpha_basic)
    response = world.client(world.alice).post(f"/subscriptions/{alpha_basic.pk}/undo-cancel/")
    assert response.status_code == 302
    assert CancellationRequest.objects.get().status == "withdrawn"
    assert Subscription.objects.get(pk=alpha_basic.pk).status == "active"
    with pytest.raises(ValidationError):
        cancellation_request_approve(
            subscription=alpha_basic, actor=world.staff["acme", "billing"], today=TODAY
        )
    with pytest.raises(ValidationError):
        cancellation_request_withdraw(subscription=alpha_basic, actor=world.alice, as_contact=True)


def test_staff_cancelling_directly_answers_a_waiting_request(world, alpha_basic, needs_approval):
    _request(world, alpha_basic)
    subscription_cancel(
        subscription=alpha_basic, actor=world.staff["acme", "billing"], today=TODAY, reason="Phone"
    )
    assert CancellationRequest.objects.get().status == "approved"


def test_staff_cancellations_need_no_approval(world, alpha_basic, needs_approval):
    subscription_cancel(
        subscription=alpha_basic, actor=world.staff["acme", "billing"], today=TODAY, reason="Phone"
    )
    assert Subscription.objects.get(pk=alpha_basic.pk).status == "scheduled_end"
    assert not CancellationRequest.objects.exists()


def test_the_back_office_approves_on_the_subscription_page(world, alpha_basic, needs_approval):
    _request(world, alpha_basic)
    client = world.client(world.staff["acme", "billing"])
    url = f"/manage/subscriptions/subscription/{alpha_basic.pk}/change/"
    page = client.get(url).content.decode()
    assert "Budget cuts" in page and 'name="cancellation_request"' in page
    response = client.post(url, {"cancellation_request": "approve", **_empty_inline()})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Subscription.objects.get(pk=alpha_basic.pk).status == "scheduled_end"


def test_the_back_office_refuses_only_with_a_reason(world, alpha_basic, needs_approval):
    _request(world, alpha_basic)
    client = world.client(world.staff["acme", "billing"])
    url = f"/manage/subscriptions/subscription/{alpha_basic.pk}/change/"
    missing = client.post(url, {"cancellation_request": "refuse", **_empty_inline()})
    assert missing.status_code == 200
    assert "Please tell the customer why the request is refused." in missing.content.decode()
    done = client.post(
        url,
        {"cancellation_request": "refuse", "refusal_reason": "Term runs", **_empty_inline()},
    )
    assert done.status_code == 302
    assert CancellationRequest.objects.get().refusal_reason == "Term runs"


def test_support_staff_cannot_decide(world, alpha_basic, needs_approval):
    _request(world, alpha_basic)
    client = world.client(world.staff["acme", "support"])
    url = f"/manage/subscriptions/subscription/{alpha_basic.pk}/change/"
    client.post(url, {"cancellation_request": "approve", **_empty_inline()})
    assert CancellationRequest.objects.get().status == "pending"


def test_another_business_cannot_see_or_decide(world, alpha_basic, needs_approval):
    _request(world, alpha_basic)
    client = world.client(world.staff["globex", "manager"], world.globex)
    url = f"/manage/subscriptions/subscription/{alpha_basic.pk}/change/"
    assert client.get(url).status_code in (302, 404)
    client.post(url, {"cancellation_request": "approve", **_empty_inline()})
    assert CancellationRequest.objects.get().status == "pending"
    assert (
        world.client(world.bob).post(f"/subscriptions/{alpha_basic.pk}/undo-cancel/").status_code
        == 404
    )


def _empty_inline() -> dict:
    return {
        "options-TOTAL_FORMS": "0",
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
    }


def test_a_request_on_a_suspended_subscription_can_still_be_refused_not_approved(
    world, alpha_basic, needs_approval
):
    from core.roles import SYSTEM
    from subscriptions.services import subscription_suspend

    _request(world, alpha_basic)
    subscription_suspend(subscription=alpha_basic, actor=SYSTEM, reason="Unpaid")
    client = world.client(world.staff["acme", "billing"])
    url = f"/manage/subscriptions/subscription/{alpha_basic.pk}/change/"
    response = client.post(url, {"cancellation_request": "approve", **_empty_inline()})
    assert response.status_code == 200
    assert "already cancelled or ended" in response.content.decode()
    cancellation_request_refuse(
        subscription=alpha_basic, actor=world.staff["acme", "billing"], reason="Pay first"
    )
    subscription = Subscription.objects.get(pk=alpha_basic.pk)
    assert subscription.status == "suspended"
    assert subscription.events.filter(kind="cancellation_refused").exists()


def test_a_request_withdrawn_while_staff_decide_is_a_message_not_a_500(
    world, alpha_basic, needs_approval
):
    # Staff opened the page while the request waited; the customer withdrew it before the
    # decision was saved: the service refuses and the back office says why.
    request = RequestFactory().post("/manage/subscriptions/subscription/1/change/")
    request.user = world.staff["acme", "billing"]
    request.tenant = world.acme
    request.session = {}
    request._messages = FallbackStorage(request)
    page_admin = django_admin.site._registry[Subscription]

    class Decided:
        cleaned_data = {"cancellation_request": "approve"}

    page_admin.save_model(request, alpha_basic, Decided(), change=True)
    assert [str(m) for m in request._messages]  # the refusal, shown as a message
    assert page_admin.response_change(request, alpha_basic).status_code == 302
    assert Subscription.objects.get(pk=alpha_basic.pk).status == "active"
