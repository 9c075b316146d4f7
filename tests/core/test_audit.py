import pytest

from contracts.services import contact_add, customer_create, customer_links_revoke
from core.audit import audit_record
from core.models import AuditEntry
from core.roles import SYSTEM
from core.services import staff_add
from tests.conftest import client_for
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db


def test_services_write_who_what_and_the_new_values(world):
    owner = world.staff["acme", "owner"]
    customer = customer_create(tenant=world.acme, name="Foxtrot", number="F-1", actor=owner)
    entry = AuditEntry.objects.get(action="customer.create")
    assert entry.tenant == world.acme
    assert entry.actor == owner and entry.actor_label == owner.email
    assert entry.object_id == str(customer.pk) and entry.object_repr == "Foxtrot (F-1)"
    assert entry.after == {"name": "Foxtrot", "number": "F-1"}


def test_a_change_records_only_what_changed_before_and_after(world):
    staff_add(tenant=world.acme, email="pat@acme.test", role="support", actor=SYSTEM)
    staff_add(tenant=world.acme, email="pat@acme.test", role="billing", actor=SYSTEM)
    entry = AuditEntry.objects.get(action="staff.change")
    assert entry.before == {"role": "support"} and entry.after == {"role": "billing"}
    assert entry.actor is None and entry.actor_label == "system"


def test_a_job_names_itself(world):
    entry = audit_record(
        tenant=world.acme, actor=SYSTEM, action="billing.run", actor_label="job: billing run"
    )
    assert entry.actor_label == "job: billing run"


def test_revoking_links_and_adding_contacts_are_audited(world):
    contact_add(customer=world.alpha, email="dora@example.test", role="billing", actor=SYSTEM)
    customer_links_revoke(customer=world.alpha, actor=world.alice)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"contact.add", "customer.links_revoke"} <= actions


def test_back_office_edits_are_audited_with_the_ip_address(world):
    client = client_for(world.staff["acme", "billing"], world.acme)
    url = f"/manage/contracts/customer/{world.alpha.pk}/change/"
    data = admin_form_data(client.get(url), name="Alpha Renamed")
    response = client.post(url, data, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="customer.change")
    assert entry.before == {"name": "Alpha Corp"} and entry.after == {"name": "Alpha Renamed"}
    assert entry.ip_address == "203.0.113.7"
    assert entry.actor == world.staff["acme", "billing"]


def test_back_office_deletes_are_audited(world):
    client = client_for(world.staff["acme", "owner"], world.acme)
    membership = world.staff["acme", "support"].staff_memberships.get()
    client.post(f"/manage/core/staffmembership/{membership.pk}/delete/", {"post": "yes"})
    entry = AuditEntry.objects.get(action="staff.delete")
    assert entry.before["role"] == "support" and entry.tenant == world.acme


def test_logins_and_password_changes_are_audited_under_the_hosts_tenant(world):
    from django.test import Client

    from tests.factories import PASSWORD

    client = Client(HTTP_HOST="acme.localhost", REMOTE_ADDR="198.51.100.9")
    client.post("/accounts/login/", {"login": "alice@example.test", "password": PASSWORD})
    client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "another long secret 9",
            "password2": "another long secret 9",
        },
    )
    entries = AuditEntry.objects.filter(tenant=world.acme, actor=world.alice)
    assert set(entries.values_list("action", flat=True)) >= {
        "account.login",
        "account.password_change",
    }
    assert entries.first().ip_address == "198.51.100.9"


def test_many_to_many_and_inline_edits_are_in_the_audit_entry(world):
    from tests.factories import TariffFactory
    from tests.helpers import admin_form_data

    basic = TariffFactory(module__tenant=world.acme, name="Basic", price="10")
    pro = TariffFactory(module=basic.module, name="Pro", price="25")
    client = client_for(world.staff["acme", "manager"], world.acme)
    url = f"/manage/subscriptions/tariff/{basic.pk}/change/"
    page = client.get(url)
    response = client.post(
        url, admin_form_data(page, allowed_changes=[pro.pk], **{"prices-0-unit_price": "12.00"})
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="tariff.change")
    assert entry.before == {"allowed_changes": []} and entry.after["allowed_changes"] == [pro.pk]
    assert entry.after["prices"]["saved"]
