"""Support packages: one kind at a time, credits add up, subscription packages renew only in
their last 30 days, switching kind forfeits after confirmation, use never overdraws."""

import threading
from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from core.roles import SYSTEM
from subscriptions.credits import (
    ForfeitNeedsConfirmation,
    InsufficientCredits,
    credit_account,
    credits_adjust,
    credits_use,
    package_purchase,
)
from subscriptions.models import CreditLedgerEntry, Department, Order
from tests.factories import ContactFactory, PackageFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 20)


@pytest.fixture
def ten(world):
    return PackageFactory(tenant=world.acme, name="10 tickets", credits=10, price="90.00")


@pytest.fixture
def year(world):
    return PackageFactory(
        tenant=world.acme,
        name="Unlimited year",
        kind="subscription",
        credits=None,
        duration_days=365,
        price="990.00",
    )


def buy(world, package, today=TODAY, **kwargs):
    return package_purchase(
        customer=world.alpha, package=package, actor=world.alice, today=today, **kwargs
    )


def test_buying_credits_adds_to_the_balance_and_opens_an_order_to_invoice(world, ten):
    buy(world, ten)
    order = buy(world, ten)
    account = credit_account(world.alpha)
    assert account.kind == "credits" and account.balance == 20
    assert order.amount == ten.price and order.invoiced_at is None
    assert Order.objects.filter(customer=world.alpha, title="10 tickets").count() == 2
    assert [e.balance_after for e in CreditLedgerEntry.objects.order_by("id")] == [10, 20]


def test_a_subscription_package_renews_only_in_its_last_30_days(world, year):
    buy(world, year)
    assert credit_account(world.alpha).valid_until == date(2027, 3, 19)
    with pytest.raises(ValidationError) as early:
        buy(world, year, today=date(2027, 2, 17))
    assert "can be renewed from" in early.value.messages[0]
    buy(world, year, today=date(2027, 2, 18))  # 30 days before the end, inclusive
    assert credit_account(world.alpha).valid_until == date(2028, 3, 18)


def test_switching_kind_needs_confirmation_and_forfeits_the_rest(world, ten, year):
    buy(world, ten)
    with pytest.raises(ForfeitNeedsConfirmation):
        buy(world, year)
    assert credit_account(world.alpha).balance == 10
    buy(world, year, confirm_forfeit=True)
    account = credit_account(world.alpha)
    assert account.kind == "subscription" and account.balance == 0
    forfeit = CreditLedgerEntry.objects.get(kind="forfeit")
    assert forfeit.delta == -10


def test_an_empty_or_expired_package_is_replaced_without_asking(world, ten, year):
    buy(world, year)
    buy(world, ten, today=date(2027, 4, 1))  # the year is over: nothing to forfeit
    assert credit_account(world.alpha).kind == "credits"


def test_use_takes_credits_and_refuses_to_go_below_zero(world, ten):
    buy(world, ten)
    support = Department.objects.create(tenant=world.acme, name="Support")
    entry = credits_use(
        customer=world.alpha,
        units=7,
        today=TODAY,
        department=support,
        reference="Ticket #123",
        actor=SYSTEM,
    )
    assert entry.balance_after == 3 and entry.department == support
    with pytest.raises(InsufficientCredits):
        credits_use(customer=world.alpha, units=4, today=TODAY, actor=SYSTEM)
    assert credit_account(world.alpha).balance == 3


def test_subscription_packages_record_use_without_counting_down(world, year):
    buy(world, year)
    entry = credits_use(customer=world.alpha, units=3, today=TODAY, reference="Chat", actor=SYSTEM)
    assert entry.delta == 0 and credit_account(world.alpha).balance == 0
    with pytest.raises(InsufficientCredits):
        credits_use(customer=world.alpha, units=1, today=date(2027, 3, 20), actor=SYSTEM)


def test_only_billing_contacts_and_owners_buy(world, ten):
    member = ContactFactory(customer=world.alpha, role="member").user
    with pytest.raises(PermissionDenied):
        package_purchase(customer=world.alpha, package=ten, actor=member, today=TODAY)
    with pytest.raises(PermissionDenied):
        package_purchase(customer=world.alpha, package=ten, actor=world.bob, today=TODAY)


def test_another_tenants_package_cannot_be_bought(world):
    foreign = PackageFactory(tenant=world.globex)
    with pytest.raises(ValidationError):
        buy(world, foreign)


def test_managers_adjust_with_a_reason(world, ten):
    buy(world, ten)
    with pytest.raises(PermissionDenied):
        credits_adjust(
            customer=world.alpha, delta=5, reason="Goodwill", actor=world.staff["acme", "billing"]
        )
    entry = credits_adjust(
        customer=world.alpha, delta=5, reason="Goodwill", actor=world.staff["acme", "manager"]
    )
    assert entry.balance_after == 15
    with pytest.raises(InsufficientCredits):
        credits_adjust(
            customer=world.alpha, delta=-16, reason="Oops", actor=world.staff["acme", "manager"]
        )


def test_a_purchase_alone_mails_nobody_its_invoice_does(
    world, ten, eager_tasks, django_capture_on_commit_callbacks
):
    """The e-mails name the invoice: billing sends them once it is issued
    (tests/billing/test_package_purchase_emails.py)."""
    world.acme.notification_email = "sales@acme.test"
    world.acme.save()
    with django_capture_on_commit_callbacks(execute=True):
        buy(world, ten)
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_use_never_overdraws(world, ten):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this)")
    buy(world, ten)  # 10 credits
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def use_three() -> None:
        from django.db import connections

        try:
            barrier.wait()
            credits_use(customer=world.alpha, units=3, today=TODAY, actor=SYSTEM)
            outcomes.append("ok")
        except InsufficientCredits:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=use_three) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 3 and outcomes.count("refused") == 5
    assert credit_account(world.alpha).balance == 1
    assert (
        sum(CreditLedgerEntry.objects.filter(customer=world.alpha).values_list("delta", flat=True))
        == 1
    )


class TestPages:
    def test_the_credits_page_shows_balance_packages_and_history(self, world, ten):
        buy(world, ten)
        credits_use(customer=world.alpha, units=2, today=TODAY, reference="Ticket #9", actor=SYSTEM)
        content = world.client(world.alice).get("/credits/").content.decode()
        assert '<p class="big-number">8</p>' in content and "credits left" in content
        assert "Ticket #9" in content and "10 tickets" in content and "€90.00" in content

    def test_buying_from_the_portal(self, world, ten):
        client = world.client(world.alice)
        page = client.get(f"/credits/packages/{ten.pk}/")
        assert "Buy for €90.00" in page.content.decode()
        response = client.post(f"/credits/packages/{ten.pk}/")
        assert response.status_code == 302
        assert credit_account(world.alpha).balance == 10

    def test_switching_kind_asks_for_the_tick_first(self, world, ten, year):
        buy(world, ten)
        client = world.client(world.alice)
        page = client.post(f"/credits/packages/{year.pk}/")
        assert page.status_code == 200 and credit_account(world.alpha).kind == "credits"
        assert "forfeits what is left" in page.content.decode()
        client.post(f"/credits/packages/{year.pk}/", {"confirm_forfeit": "on"})
        assert credit_account(world.alpha).kind == "subscription"

    def test_too_early_a_renewal_is_explained_not_offered(self, world, year):
        buy(world, year)
        page = world.client(world.alice).get(f"/credits/packages/{year.pk}/").content.decode()
        assert "can be renewed from" in page and "Buy for" not in page

    def test_members_see_but_cannot_buy(self, world, ten):
        member = ContactFactory(customer=world.alpha, role="member").user
        client = world.client(member)
        assert f"/credits/packages/{ten.pk}/" not in client.get("/credits/").content.decode()
        assert client.post(f"/credits/packages/{ten.pk}/").status_code == 403


class TestBackOffice:
    def _post(self, world, role, **data):
        from tests.conftest import client_for
        from tests.helpers import admin_form_data

        client = client_for(world.staff["acme", role], world.acme)
        url = "/manage/subscriptions/creditledgerentry/add/"
        page = client.get(url)
        if page.status_code != 200:
            return page
        return client.post(url, admin_form_data(page, customer=world.alpha.pk, **data))

    def test_a_manager_records_a_use_and_an_overdraw_is_a_form_error(self, world, ten):
        buy(world, ten)
        ok = self._post(world, "manager", kind="use", credits="4", reference="Phone call")
        assert ok.status_code == 302 and credit_account(world.alpha).balance == 6
        too_much = self._post(world, "manager", kind="use", credits="7", reference="x")
        assert too_much.status_code == 200
        assert "Not enough credits." in str(too_much.context["adminform"].form.errors)

    @pytest.mark.parametrize(
        "kind,credits",
        [
            ("adjustment", "1e29"),
            ("adjustment", "9" * 30),
            ("use", "9" * 30),
            ("adjustment", "-" + "9" * 30),
            ("adjustment", str(2**31 - 1)),
        ],
    )
    def test_a_number_of_credits_the_ledger_cannot_hold_is_a_form_error(
        self, world, ten, kind, credits
    ):
        buy(world, ten)
        response = self._post(world, "manager", kind=kind, credits=credits, reference="x")
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["credits"]
        assert credit_account(world.alpha).balance == 10

    def test_billing_staff_cannot_touch_the_ledger(self, world, ten):
        buy(world, ten)
        assert (
            self._post(world, "billing", kind="adjustment", credits="5", reference="x").status_code
            == 403
        )
        assert credit_account(world.alpha).balance == 10


@pytest.mark.usefixtures("no_page_cache")
def test_the_credits_page_costs_the_same_with_a_longer_history(world, ten):
    from tests.helpers import assert_max_queries

    buy(world, ten)
    client = world.client(world.alice)
    client.get("/credits/")
    with assert_max_queries(20) as few:
        client.get("/credits/")
    for n in range(9):
        credits_use(
            customer=world.alpha, units=1, today=TODAY, reference=f"Ticket {n}", actor=SYSTEM
        )
        PackageFactory(tenant=world.acme)
    with assert_max_queries(len(few.captured_queries)):
        assert client.get("/credits/").status_code == 200
