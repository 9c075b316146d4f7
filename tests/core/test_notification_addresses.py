"""A business's general notification address and CC addresses: set by the Owner in the back
office (a bad address is a form error naming it), read everywhere as one list, general first,
each address once; migration core 0015 moved the old single list over."""

from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.conftest import client_for
from tests.factories import TenantFactory
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db

migration = import_module("core.migrations.0015_mails_notification_addresses")
URL = "/manage/core/tenant/{}/change/"


def test_the_list_is_the_general_address_then_each_cc_address_once():
    tenant = TenantFactory.build(
        notification_email="Sales@acme.test",
        notification_cc_emails=["ops@acme.test", "sales@ACME.test", "OPS@acme.test", "a@b.test"],
    )
    assert tenant.notification_emails == ["Sales@acme.test", "ops@acme.test", "a@b.test"]


def test_without_a_general_address_the_cc_addresses_are_the_list():
    tenant = TenantFactory.build(notification_email="", notification_cc_emails=["ops@acme.test"])
    assert tenant.notification_emails == ["ops@acme.test"]
    assert TenantFactory.build().notification_emails == []


class TestTheBusinessSettings:
    def _post(self, world, user, **fields):
        client = client_for(user, world.acme)
        url = URL.format(world.acme.pk)
        return client.post(url, admin_form_data(client.get(url), logo=None, **fields))

    def test_the_owner_sets_the_general_and_cc_addresses(self, world):
        response = self._post(
            world,
            world.staff["acme", "owner"],
            notification_email="sales@acme.test",
            notification_cc_emails="ops@acme.test, Boss@Acme.test\nops@acme.test\n",
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        world.acme.refresh_from_db()
        assert world.acme.notification_email == "sales@acme.test"
        assert world.acme.notification_cc_emails == ["ops@acme.test", "boss@acme.test"]

    def test_a_bad_cc_address_is_a_form_error_naming_it(self, world):
        response = self._post(
            world,
            world.staff["acme", "owner"],
            notification_cc_emails="ops@acme.test\nnot-an-address, x@y",
        )
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors["notification_cc_emails"]
        assert errors == ["Not an e-mail address: not-an-address, x@y"]
        world.acme.refresh_from_db()
        assert world.acme.notification_cc_emails == []

    def test_a_bad_general_address_is_a_form_error(self, world):
        response = self._post(world, world.staff["acme", "owner"], notification_email="sales@")
        assert response.status_code == 200
        assert "notification_email" in response.context["adminform"].form.errors

    def test_a_manager_may_not_change_them(self, world):
        response = self._post(
            world, world.staff["acme", "manager"], notification_email="me@acme.test"
        )
        assert response.status_code in (403, 404)
        world.acme.refresh_from_db()
        assert world.acme.notification_email == ""


@pytest.mark.parametrize(
    "old,expected",
    [
        (["sales@a.test", "ops@a.test", "SALES@a.test"], ("sales@a.test", ["ops@a.test"])),
        (["sales@acme.test"], ("sales@acme.test", [])),
        ([" ", "ops@acme.test", 3], ("ops@acme.test", [])),
        ([], ("", [])),
        ("not a list", ("", [])),
    ],
)
def test_the_old_list_splits_into_general_and_cc(old, expected):
    assert migration.split_addresses(old) == expected


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_existing_lists_and_can_be_reversed():
    before = [("core", "0014_licence_modules")]
    after = [("core", "0015_mails_notification_addresses")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        OldTenant = executor.loader.project_state(before).apps.get_model("core", "Tenant")
        OldTenant.objects.create(
            slug="old", name="Old", notification_emails=["sales@old.test", "ops@old.test"]
        )
        OldTenant.objects.create(slug="none", name="None", notification_emails=[])

        executor = MigrationExecutor(connection)
        executor.migrate(after)
        Tenant = executor.loader.project_state(after).apps.get_model("core", "Tenant")
        old = Tenant.objects.get(slug="old")
        assert (old.notification_email, old.notification_cc_emails) == (
            "sales@old.test",
            ["ops@old.test"],
        )
        none = Tenant.objects.get(slug="none")
        assert (none.notification_email, none.notification_cc_emails) == ("", [])

        executor = MigrationExecutor(connection)
        executor.migrate(before)
        Reverted = executor.loader.project_state(before).apps.get_model("core", "Tenant")
        assert Reverted.objects.get(slug="old").notification_emails == [
            "sales@old.test",
            "ops@old.test",
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
