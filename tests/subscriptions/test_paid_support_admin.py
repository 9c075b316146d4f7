"""The Billing permission: packages and departments are defined by Billing and up (Support
does not see them); a package covers only its own business's departments."""

import pytest

from subscriptions.models import Department, Package
from tests.conftest import client_for
from tests.factories import PackageFactory, UserFactory
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db
PACKAGES = "/manage/subscriptions/package/"
DEPARTMENTS = "/manage/subscriptions/department/"


def staff(world, role):
    return client_for(world.staff["acme", role], world.acme)


@pytest.mark.parametrize(("role", "status"), [("support", 403), ("billing", 200), ("owner", 200)])
def test_packages_and_departments_need_the_billing_permission(world, role, status):
    client = staff(world, role)
    for page in (PACKAGES, DEPARTMENTS, PACKAGES + "add/", DEPARTMENTS + "add/"):
        assert client.get(page).status_code == status


def test_billing_staff_define_a_department_with_its_credits_and_counted_kinds(world):
    client = staff(world, "billing")
    page = client.get(DEPARTMENTS + "add/")
    data = admin_form_data(
        page,
        name="Live chat",
        credits_per_request="2",
        counts_tickets=None,
        counts_conversations=None,
        counts_live_chats="on",
    )
    assert client.post(DEPARTMENTS + "add/", data).status_code == 302
    chat = Department.objects.get(name="Live chat")
    assert chat.tenant == world.acme and chat.credits_per_request == 2
    assert [chat.counts(k) for k in ("ticket", "conversation", "live_chat")] == [
        False,
        False,
        True,
    ]


def test_a_package_lists_the_business_departments_only(world):
    ours = Department.objects.create(tenant=world.acme, name="Support")
    theirs = Department.objects.create(tenant=world.globex, name="Globex desk")
    package = PackageFactory(tenant=world.acme, name="10 tickets")
    client = staff(world, "billing")
    url = f"{PACKAGES}{package.pk}/change/"
    page = client.get(url)
    assert "Globex desk" not in page.content.decode()
    assert client.post(url, admin_form_data(page, departments=[ours.pk])).status_code == 302
    assert list(package.departments.all()) == [ours]
    refused = client.post(url, admin_form_data(page, departments=[theirs.pk]))
    assert refused.status_code == 200 and "departments" in refused.context["adminform"].form.errors
    assert list(Package.objects.get(pk=package.pk).departments.all()) == [ours]


def test_even_a_superuser_cannot_give_a_package_another_business_department(world):
    theirs = Department.objects.create(tenant=world.globex, name="Globex desk")
    package = PackageFactory(tenant=world.acme, name="10 tickets")
    root = UserFactory(email="root@example.test", is_superuser=True)
    client = client_for(root, world.acme)
    url = f"{PACKAGES}{package.pk}/change/"
    page = client.get(url)
    refused = client.post(url, admin_form_data(page, departments=[theirs.pk]))
    assert refused.status_code == 200
    assert "own business" in str(refused.context["adminform"].form.errors)
