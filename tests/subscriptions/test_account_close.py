from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from contracts.models import Contact, Customer
from core.roles import SYSTEM
from subscriptions.services import account_close, subscription_cancel, subscription_order
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel("2026-03-20 10:00:00+01:00", tick=False):
        yield


def test_an_active_module_blocks_closing_and_the_page_says_why(world, alpha_basic):
    with pytest.raises(ValidationError) as refused:
        account_close(
            customer=world.alpha, actor=world.alice, today=date(2026, 3, 20), as_contact=True
        )
    assert "Helpdesk is active: cancel it first." in refused.value.messages
    page = world.client(world.alice).get("/contract/close/").content.decode()
    assert "Helpdesk is active: cancel it first." in page
    assert (
        world.client(world.alice)
        .post("/contract/close/", {"confirm_name": "Alpha Corp"})
        .status_code
        == 200
    )
    assert Customer.objects.get(pk=world.alpha.pk).closed_at is None


def test_a_cancelled_module_blocks_until_its_last_day_has_passed(world, alpha_basic):
    subscription_cancel(
        subscription=alpha_basic,
        actor=world.staff["acme", "manager"],
        today=date(2026, 3, 20),
        reason="x",
        ends_on=date(2026, 3, 25),
    )
    with pytest.raises(ValidationError):
        account_close(
            customer=world.alpha, actor=world.alice, today=date(2026, 3, 25), as_contact=True
        )
    closed = account_close(
        customer=world.alpha, actor=world.alice, today=date(2026, 3, 26), as_contact=True
    )
    assert closed.closed_at is not None


def test_closing_from_the_portal_needs_the_name_and_ends_every_login(world):
    client = world.client(world.alice)
    wrong = client.post("/contract/close/", {"confirm_name": "Alpha"})
    assert "That is not the company name." in wrong.content.decode()
    done = client.post("/contract/close/", {"confirm_name": "alpha corp"})
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    assert not Contact.objects.filter(customer=world.alpha, is_active=True).exists()
    relogin = world.client(None).post(
        "/accounts/login/", {"login": "alice@example.test", "password": "correct horse battery"}
    )
    assert relogin.status_code == 200  # refused like a wrong password


def test_only_the_account_owner_may_close_it(world):
    billing = ContactFactory(customer=world.alpha, role="billing").user
    with pytest.raises(PermissionDenied):
        account_close(customer=world.alpha, actor=billing, today=date(2026, 3, 20), as_contact=True)
    assert world.client(billing).get("/contract/close/").status_code == 403


def test_the_contract_page_shows_how_long_the_contract_runs(world, plans):
    subscription_order(
        customer=world.alpha, tariff=plans.basic, actor=SYSTEM, start_on=date(2025, 1, 20)
    )
    content = world.client(world.alice).get("/contract/").content.decode()
    assert "20 Jan 2025" in content and "1\xa0year, 2\xa0months" in content
