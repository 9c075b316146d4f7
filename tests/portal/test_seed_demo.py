import pytest
from django.core.management import call_command
from django.test import Client

from contracts.models import Contact, Customer
from core.models import StaffMembership, Tenant
from portal.demo import DEMO_PASSWORD, demo_logins
from subscriptions.models import Module, Subscription

pytestmark = pytest.mark.django_db


def test_it_creates_two_branded_tenants_with_staff_and_customers(capsys):
    call_command("seed_demo")
    acme, globex = Tenant.objects.get(slug="acme"), Tenant.objects.get(slug="globex")
    assert acme.primary_colour != globex.primary_colour
    for tenant in (acme, globex):
        roles = set(StaffMembership.objects.filter(tenant=tenant).values_list("role", flat=True))
        assert roles == {"support", "billing", "manager", "owner"}
        assert Customer.objects.filter(tenant=tenant).count() == 3
        assert Contact.objects.filter(tenant=tenant, role="owner").count() == 3
        subscriptions = Subscription.objects.filter(tenant=tenant)
        assert subscriptions.count() == 4
        assert subscriptions.filter(status="scheduled_end").count() == 1
        assert Module.objects.filter(tenant=tenant).exclude(image="").count() == 2
    out = capsys.readouterr().out
    assert "owner@acme.test" in out and "customer3@globex.test" in out and DEMO_PASSWORD in out


def test_it_is_idempotent():
    call_command("seed_demo")
    counts = (
        Tenant.objects.count(),
        Customer.objects.count(),
        Contact.objects.count(),
        StaffMembership.objects.count(),
    )
    call_command("seed_demo")
    assert counts == (
        Tenant.objects.count(),
        Customer.objects.count(),
        Contact.objects.count(),
        StaffMembership.objects.count(),
    )


def test_if_empty_leaves_an_existing_database_alone(capsys):
    Tenant.objects.create(slug="mine", name="Mine")
    call_command("seed_demo", "--if-empty")
    assert not Tenant.objects.filter(slug="acme").exists()
    assert "not re-seeded" in capsys.readouterr().out


def test_every_printed_demo_login_works():
    call_command("seed_demo")
    for slug, email, _what in demo_logins():
        client = Client(HTTP_HOST=f"{slug}.localhost")
        response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        target = (
            "/manage/" if email.split("@")[0] in {"owner", "manager", "billing", "support"} else "/"
        )
        assert client.get(target, follow=True).status_code == 200, email
