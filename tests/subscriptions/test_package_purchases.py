"""Purchased packages: credits left drawn first in, first out; forfeited on a kind switch;
the back-office list with its state, filters, export and constant query count."""

import csv
import io
import threading
from datetime import date

import pytest
import time_machine
from django.db import connection
from openpyxl import load_workbook

from core.roles import SYSTEM
from subscriptions.credits import (
    InsufficientCredits,
    credits_adjust,
    credits_use,
    package_purchase,
)
from subscriptions.models import PackagePurchase
from tests.conftest import client_for
from tests.factories import PackageFactory
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 20)
LIST = "/manage/subscriptions/packagepurchase/"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel("2026-03-20 10:00:00+01:00", tick=False):
        yield


@pytest.fixture
def ten(world):
    return PackageFactory(tenant=world.acme, name="10 tickets", credits=10, price="90.00")


@pytest.fixture
def five(world):
    return PackageFactory(tenant=world.acme, name="5 tickets", credits=5, price="50.00")


@pytest.fixture
def month(world):
    return PackageFactory(
        tenant=world.acme,
        name="Unlimited month",
        kind="subscription",
        credits=None,
        duration_days=30,
        price="99.00",
    )


def buy(world, package, customer=None, today=TODAY, **kwargs):
    customer = customer or world.alpha
    actor = world.alice if customer == world.alpha else customer.contacts.first().user
    return package_purchase(customer=customer, package=package, actor=actor, today=today, **kwargs)


def left(customer) -> list[int]:
    return list(
        PackagePurchase.objects.filter(customer=customer)
        .order_by("bought_at", "id")
        .values_list("credits_left", flat=True)
    )


def use(world, units):
    return credits_use(customer=world.alpha, units=units, today=TODAY, actor=SYSTEM)


def test_uses_draw_on_the_oldest_purchase_first(world, ten, five):
    buy(world, ten)
    buy(world, five)
    use(world, 4)
    assert left(world.alpha) == [6, 5]
    use(world, 8)
    assert left(world.alpha) == [0, 3]


def test_a_negative_correction_draws_like_a_use_and_goodwill_credits_belong_to_no_purchase(
    world, ten
):
    manager = world.staff["acme", "manager"]
    buy(world, ten)
    credits_adjust(customer=world.alpha, delta=5, reason="Goodwill", actor=manager)
    assert left(world.alpha) == [10]
    credits_adjust(customer=world.alpha, delta=-12, reason="Mistaken use", actor=manager)
    assert left(world.alpha) == [0]  # 10 from the purchase, 2 from the goodwill credits


def test_switching_kind_forfeits_the_purchases_given_up(world, ten, five, month):
    buy(world, ten)
    buy(world, five)
    use(world, 12)
    buy(world, month, confirm_forfeit=True)
    rows = list(PackagePurchase.objects.order_by("bought_at", "id"))
    # The used-up purchase is not forfeited: nothing was given up with it.
    assert [(r.credits_left, r.forfeited_at is not None) for r in rows[:2]] == [
        (0, False),
        (0, True),
    ]
    assert rows[2].forfeited_at is None and rows[2].valid_until == date(2026, 4, 18)
    buy(world, ten, confirm_forfeit=True)
    assert PackagePurchase.objects.get(pk=rows[2].pk).forfeited_at is not None


def test_each_purchase_has_its_state(world, ten, five, month):
    buy(world, ten)
    buy(world, five, customer=world.bravo)
    credits_use(customer=world.bravo, units=5, today=TODAY, actor=SYSTEM)
    states = dict(PackagePurchase.objects.with_state(TODAY).values_list("customer__name", "state"))
    assert states == {"Alpha Corp": "active", "Bravo Corp": "used_up"}
    buy(world, month, confirm_forfeit=True)
    buy(world, month, today=date(2026, 4, 1))  # renewal: starts 19 April
    by_id = list(
        PackagePurchase.objects.with_state(TODAY).order_by("id").values_list("state", flat=True)
    )
    assert by_id == ["forfeited", "used_up", "active", "upcoming"]
    later = PackagePurchase.objects.with_state(date(2026, 5, 20)).order_by("id")
    assert [p.state for p in later][2:] == ["expired", "expired"]


def staff(world, role, tenant="acme"):
    return client_for(world.staff[tenant, role], getattr(world, tenant))


@pytest.fixture
def bought(world, ten, five, month):
    """Alpha holds credits (10 tickets with 6 left, 5 tickets untouched); Bravo a month of
    unlimited use (30 days left)."""
    buy(world, ten)
    buy(world, five)
    use(world, 4)
    buy(world, month, customer=world.bravo)


def rows_of(response) -> list[tuple[str, str, str]]:
    return [(str(p.customer), p.package.name, p.state) for p in response.context["cl"].result_list]


def test_billing_staff_list_the_purchases_with_what_is_left_and_their_state(world, bought):
    page = staff(world, "billing").get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert "6 credits" in html and "5 credits" in html and "30 days" in html
    assert sorted(rows_of(page)) == [
        (str(world.alpha), "10 tickets", "active"),
        (str(world.alpha), "5 tickets", "active"),
        (str(world.bravo), "Unlimited month", "active"),
    ]


def test_support_staff_may_not_see_purchased_packages(world, bought):
    client = staff(world, "support")
    assert client.get(LIST).status_code == 403
    assert client.post(LIST + "export/", {"format": "0", "resource": "0"}).status_code == 403


def test_a_purchase_opens_read_only(world, bought):
    purchase = PackagePurchase.objects.filter(customer=world.bravo).get()
    page = staff(world, "billing").get(f"{LIST}{purchase.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert "Unlimited month" in page.content.decode()


def test_another_business_sees_none_of_them(world, bought):
    page = staff(world, "owner", tenant="globex").get(LIST)
    assert page.status_code == 200 and rows_of(page) == []
    pk = PackagePurchase.objects.first().pk
    theirs = staff(world, "owner", tenant="globex").get(f"{LIST}{pk}/change/")
    assert theirs.status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=active", {"10 tickets", "5 tickets", "Unlimited month"}),
        ("state=used_up", {"10 tickets"}),
        ("kind__exact=subscription", {"Unlimited month"}),
        ("q=Bravo", {"Unlimited month"}),
        ("bought_at__gte=2026-03-21+00%3A00%3A00%2B01%3A00", set()),
    ],
)
def test_the_list_filters(world, bought, query, expected):
    if query == "state=used_up":
        use(world, 6)  # the oldest purchase is used up now
    page = staff(world, "billing").get(f"{LIST}?{query}")
    assert {package for _c, package, _s in rows_of(page)} == expected


def test_the_package_filter_lists_only_the_business_packages(world, bought, ten):
    PackageFactory(tenant=world.globex, name="Theirs")
    page = staff(world, "billing").get(f"{LIST}?package__id__exact={ten.pk}")
    assert {package for _c, package, _s in rows_of(page)} == {"10 tickets"}
    assert "Theirs" not in page.content.decode()


def test_the_list_takes_the_same_queries_however_many_purchases(world, ten, five, month):
    client = staff(world, "billing")
    buy(world, ten)
    buy(world, month, customer=world.bravo)
    client.get(LIST)  # warm the session and the content types
    with assert_max_queries(100) as few:
        client.get(LIST)
    for _ in range(5):
        buy(world, ten)
        buy(world, five)
    with assert_max_queries(len(few.captured_queries)):
        assert len(rows_of(client.get(LIST))) == 12


def test_the_export_has_the_list_columns_translated(world, bought):
    response = staff(world, "billing").post(
        LIST + "export/?kind__exact=credits", {"format": "0", "resource": "0"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["customer", "package", "kind", "bought on", "credits or days left", "state"]
    assert sorted(rows[1:]) == [
        [str(world.alpha), "10 tickets", "Credit package", "2026-03-20", "6 credits", "Active"],
        [str(world.alpha), "5 tickets", "Credit package", "2026-03-20", "5 credits", "Active"],
    ]


def test_the_export_in_xlsx_and_in_the_staff_language(world, bought):
    client = staff(world, "billing")
    client.cookies["django_language"] = "de"
    response = client.post(LIST + "export/", {"format": "1", "resource": "0"})
    assert response.status_code == 200
    values = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert values[0][:3] == ("Kunde", "Paket", "Art") and len(values[0]) == 6
    assert len(values) == 4


def test_the_backfill_rebuilds_purchases_from_the_ledger(world, ten, five, month):
    from importlib import import_module

    from django.apps import apps

    backfill = import_module(
        "subscriptions.migrations.0011_access_backfill_package_purchases"
    ).backfill
    buy(world, ten)
    buy(world, five)
    use(world, 7)  # 8 credits left
    buy(world, month, customer=world.bravo)
    buy(world, month, customer=world.bravo, today=date(2026, 4, 1))
    PackagePurchase.objects.all().delete()
    backfill(apps, None)
    backfill(apps, None)  # a second run adds nothing
    alpha = PackagePurchase.objects.filter(customer=world.alpha).order_by("id")
    # The balance spread newest first: the 5 full, 3 of the 10 left.
    assert [(p.package.name, p.credits_left) for p in alpha] == [
        ("10 tickets", 3),
        ("5 tickets", 5),
    ]
    bravo = PackagePurchase.objects.filter(customer=world.bravo).order_by("id")
    assert [(p.valid_from, p.valid_until) for p in bravo] == [
        (date(2026, 3, 20), date(2026, 4, 18)),
        (date(2026, 4, 19), date(2026, 5, 18)),
    ]


def test_without_paid_support_the_list_and_its_export_answer_404(world, bought):
    world.acme.licence_modules = []
    world.acme.save(update_fields=["licence_modules"])
    client = staff(world, "owner")
    assert client.get(LIST).status_code == 404
    assert client.post(LIST + "export/", {"format": "0", "resource": "0"}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_uses_draw_each_credit_from_one_purchase_once(world, ten, five):
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (CI runs this)")
    buy(world, ten)
    buy(world, five)  # 15 credits in two purchases
    barrier = threading.Barrier(8)

    def use_two() -> None:
        from django.db import connections

        try:
            barrier.wait()
            use(world, 2)
        except InsufficientCredits:
            pass
        finally:
            connections.close_all()

    threads = [threading.Thread(target=use_two) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Seven uses of two fit in 15: one credit is left, in the newer purchase.
    assert left(world.alpha) == [0, 1]
