"""Department access per customer: a purchase switches its departments on, a kind switch or a
lapsed subscription package switches them off, staff switch by hand (audited, Billing and up);
the Credits page and the customer page say which departments are on and why."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEntry
from core.roles import SYSTEM
from subscriptions.access import department_access_set
from subscriptions.credits import credits_use, package_purchase
from subscriptions.models import AccessSource, Department, DepartmentAccess
from subscriptions.selectors import department_access_list
from subscriptions.tasks import switch_off_lapsed_department_access
from subscriptions.usage import usage_check
from tests.conftest import client_for
from tests.factories import PackageFactory
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 20)


@pytest.fixture
def desk(world):
    """Acme's departments (Support, Development; FAQ needs no package) and two packages."""
    support = Department.objects.create(tenant=world.acme, name="Support")
    development = Department.objects.create(
        tenant=world.acme, name="Development", credits_per_request=3
    )
    faq = Department.objects.create(tenant=world.acme, name="FAQ", needs_package=False)
    ten = PackageFactory(tenant=world.acme, name="10 tickets", credits=10)
    ten.departments.add(support)
    year = PackageFactory(
        tenant=world.acme, name="Year", kind="subscription", credits=None, duration_days=30
    )
    year.departments.add(support, development)
    return type(
        "Desk",
        (),
        {"support": support, "development": development, "faq": faq, "ten": ten, "year": year},
    )


def buy(world, package, today=TODAY, **kwargs):
    return package_purchase(
        customer=world.alpha, package=package, actor=world.alice, today=today, **kwargs
    )


def enabled(customer) -> set[str]:
    return {
        a.department.name
        for a in DepartmentAccess.objects.filter(customer=customer, is_enabled=True)
    }


def test_buying_a_package_switches_its_departments_on(world, desk):
    buy(world, desk.ten)
    access = DepartmentAccess.objects.get(customer=world.alpha)
    assert access.department == desk.support and access.is_enabled
    assert access.source == AccessSource.PACKAGE and access.changed_by == world.alice
    entry = AuditEntry.objects.get(action="department_access.package_on")
    assert entry.after == {"package": "10 tickets", "departments": ["Support"]}
    assert enabled(world.bravo) == set()


def test_switching_kind_switches_off_what_packages_switched_on(world, desk):
    buy(world, desk.year)
    assert enabled(world.alpha) == {"Support", "Development"}
    buy(world, desk.ten, confirm_forfeit=True)
    # The credit package covers Support only: Development goes off, Support comes back on.
    assert enabled(world.alpha) == {"Support"}
    off = AuditEntry.objects.get(action="department_access.package_off")
    assert off.after["reason"] == "kind_switch"
    assert sorted(off.after["departments"]) == ["Development", "Support"]


def test_access_staff_gave_survives_a_kind_switch(world, desk):
    department_access_set(
        customer=world.alpha,
        department=desk.development,
        enabled=True,
        actor=world.staff["acme", "billing"],
    )
    buy(world, desk.ten)
    buy(world, desk.year, confirm_forfeit=True)
    buy(world, desk.ten, confirm_forfeit=True)
    row = DepartmentAccess.objects.get(customer=world.alpha, department=desk.development)
    assert row.is_enabled and row.source == AccessSource.STAFF


def test_a_lapsed_subscription_package_switches_its_departments_off_once(world, desk):
    buy(world, desk.year)  # valid 20 March to 18 April 2026
    with time_machine.travel("2026-04-18 23:30:00+02:00", tick=False):  # acme's last day
        assert switch_off_lapsed_department_access() == 0
    assert enabled(world.alpha) == {"Support", "Development"}
    with time_machine.travel("2026-04-19 00:30:00+02:00", tick=False):
        assert switch_off_lapsed_department_access() == 1
        assert switch_off_lapsed_department_access() == 0  # idempotent
    assert enabled(world.alpha) == set()
    entry = AuditEntry.objects.get(action="department_access.package_off")
    assert entry.after["reason"] == "lapsed" and entry.actor is None


def test_a_renewed_subscription_package_keeps_its_departments(world, desk):
    buy(world, desk.year)
    buy(world, desk.year, today=date(2026, 4, 10))  # renewed in the last 30 days
    with time_machine.travel("2026-04-20 12:00:00+02:00", tick=False):
        assert switch_off_lapsed_department_access() == 0
    assert enabled(world.alpha) == {"Support", "Development"}


def test_switching_kind_after_the_credits_ran_out_still_switches_their_departments_off(world, desk):
    three = PackageFactory(tenant=world.acme, name="3 credits", credits=3)
    three.departments.add(desk.development)
    month = PackageFactory(
        tenant=world.acme, name="Month", kind="subscription", credits=None, duration_days=30
    )
    month.departments.add(desk.support)
    buy(world, three)
    credits_use(
        customer=world.alpha, units=3, today=TODAY, department=desk.development, actor=SYSTEM
    )
    buy(world, month)  # nothing left to forfeit: no confirmation asked
    assert enabled(world.alpha) == {"Support"}
    verdict = usage_check(
        customer=world.alpha, department=desk.development, kind="ticket", today=TODAY
    )
    assert not verdict.allowed and verdict.reason == "no_access"


def test_credits_bought_after_a_lapse_the_task_has_not_seen_switch_its_departments_off(world, desk):
    buy(world, desk.year)  # valid until 18 April 2026
    buy(world, desk.ten, today=date(2026, 4, 19))  # before the hourly task ran
    assert enabled(world.alpha) == {"Support"}
    off = AuditEntry.objects.get(action="department_access.package_off")
    assert off.after == {"departments": ["Development", "Support"], "reason": "kind_switch"}


def test_another_subscription_package_after_a_lapse_drops_the_old_departments(world, desk):
    support_only = PackageFactory(
        tenant=world.acme,
        name="Support month",
        kind="subscription",
        credits=None,
        duration_days=30,
    )
    support_only.departments.add(desk.support)
    buy(world, desk.year)  # Support and Development until 18 April 2026
    buy(world, support_only, today=date(2026, 5, 2))
    assert enabled(world.alpha) == {"Support"}
    assert AuditEntry.objects.get(action="department_access.package_off").after["reason"] == (
        "lapsed"
    )


def test_billing_staff_switch_a_department_by_hand_audited(world, desk):
    billing = world.staff["acme", "billing"]
    department_access_set(
        customer=world.alpha, department=desk.development, enabled=True, actor=billing
    )
    department_access_set(
        customer=world.alpha, department=desk.development, enabled=False, actor=billing
    )
    row = DepartmentAccess.objects.get(customer=world.alpha, department=desk.development)
    assert not row.is_enabled and row.source == AccessSource.STAFF and row.changed_by == billing
    entries = AuditEntry.objects.filter(action="department_access.staff").order_by("id")
    assert [e.after["switched_on"] for e in entries] == [True, False]
    assert entries[1].before == {"switched_on": True} and entries[1].actor == billing


def test_support_staff_may_not_switch_access(world, desk):
    with pytest.raises(PermissionDenied):
        department_access_set(
            customer=world.alpha,
            department=desk.support,
            enabled=True,
            actor=world.staff["acme", "support"],
        )
    assert not DepartmentAccess.objects.exists()


def test_another_business_department_is_refused(world, desk):
    theirs = Department.objects.create(tenant=world.globex, name="Support")
    with pytest.raises(ValidationError):
        department_access_set(
            customer=world.alpha,
            department=theirs,
            enabled=True,
            actor=world.staff["acme", "billing"],
        )


def test_the_selector_says_who_has_access_and_why(world, desk):
    buy(world, desk.ten)
    department_access_set(
        customer=world.alpha,
        department=desk.development,
        enabled=True,
        actor=world.staff["acme", "owner"],
    )
    Department.objects.create(tenant=world.globex, name="Theirs")
    with assert_max_queries(2):
        rows = department_access_list(tenant=world.acme, customer=world.alpha)
    assert [(r.department.name, r.has_access, r.reason) for r in rows] == [
        ("Development", True, "staff"),
        ("FAQ", True, "open"),
        ("Support", True, "package"),
    ]
    bravo = department_access_list(tenant=world.acme, customer=world.bravo)
    assert [(r.department.name, r.has_access) for r in bravo] == [
        ("Development", False),
        ("FAQ", True),
        ("Support", False),
    ]


def test_the_credits_page_shows_the_department_access(world, desk):
    buy(world, desk.ten)
    page = client_for(world.alice, world.acme).get("/credits/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="department-access"' in html
    assert 'data-department="Support"' in html and "From a package" in html
    assert "Open to every customer" in html
    bravo = client_for(world.bob, world.acme).get("/credits/").content.decode()
    assert "From a package" not in bravo


def customer_url(customer) -> str:
    return f"/manage/contracts/customer/{customer.pk}/change/"


def toggle_url(customer, department) -> str:
    return f"/manage/contracts/customer/{customer.pk}/department-access/{department.pk}/"


def test_the_customer_page_shows_access_and_billing_staff_switch_it(world, desk):
    client = client_for(world.staff["acme", "billing"], world.acme)
    page = client.get(customer_url(world.alpha))
    html = page.content.decode()
    assert 'id="department-access"' in html and toggle_url(world.alpha, desk.support) in html
    response = client.post(toggle_url(world.alpha, desk.support), {"switch_on": "1"})
    assert response.status_code == 302
    assert enabled(world.alpha) == {"Support"}
    client.post(toggle_url(world.alpha, desk.support), {"switch_on": "0"})
    assert enabled(world.alpha) == set()
    assert AuditEntry.objects.filter(action="department_access.staff").count() == 2


def test_support_staff_see_access_but_may_not_switch_it(world, desk):
    client = client_for(world.staff["acme", "support"], world.acme)
    html = client.get(customer_url(world.alpha)).content.decode()
    assert 'id="department-access"' in html
    assert toggle_url(world.alpha, desk.support) not in html
    response = client.post(toggle_url(world.alpha, desk.support), {"switch_on": "1"})
    assert response.status_code == 403
    assert not DepartmentAccess.objects.exists()


def test_outsiders_get_404_for_the_switch(world, desk):
    theirs = client_for(world.staff["globex", "owner"], world.globex)
    assert theirs.post(toggle_url(world.alpha, desk.support), {"switch_on": "1"}).status_code == 404
    ours = client_for(world.staff["acme", "owner"], world.acme)
    foreign = Department.objects.create(tenant=world.globex, name="Support")
    assert ours.post(toggle_url(world.alpha, foreign), {"switch_on": "1"}).status_code == 404
    assert ours.get(toggle_url(world.alpha, desk.support)).status_code == 405
    assert not DepartmentAccess.objects.exists()


def test_without_paid_support_the_customer_page_has_no_access_section(world, desk):
    world.acme.licence_modules = []
    world.acme.save(update_fields=["licence_modules"])
    client = client_for(world.staff["acme", "owner"], world.acme)
    assert 'id="department-access"' not in client.get(customer_url(world.alpha)).content.decode()
    response = client.post(toggle_url(world.alpha, desk.support), {"switch_on": "1"})
    assert response.status_code == 404 and not DepartmentAccess.objects.exists()
