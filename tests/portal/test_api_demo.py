"""The demo's helpdesk: acme has an API key with the documented secret, and seed_demo (so
`make run`) prints a curl command that reports a ticket as printed."""

import json
import re
import shlex

import pytest
from django.core.management import call_command

from contracts.models import Customer
from core.api_keys import api_key_authenticate
from core.models import ApiKey, Tenant
from portal.demo import DEMO_API_KEY, DEMO_TENANTS
from subscriptions.models import AccessSource, Department, DepartmentAccess
from tests.api_support import ApiClient

pytestmark = pytest.mark.django_db


def test_acme_gets_the_documented_demo_key_once():
    call_command("seed_demo")
    call_command("seed_demo")
    acme = Tenant.objects.get(slug="acme")
    assert api_key_authenticate(tenant=acme, secret=DEMO_API_KEY) is not None
    assert ApiKey.objects.filter(tenant=acme).count() == 1
    assert not ApiKey.objects.filter(tenant__slug="globex").exists()


def test_the_printed_curl_command_reports_a_ticket(capsys):
    call_command("seed_demo")
    acme = Tenant.objects.get(slug="acme")
    # Access is the access services' to give (a purchase switches its departments on); here
    # the first customer gets every department, whatever the demo's purchases already gave.
    customer = Customer.objects.get(tenant=acme, number=DEMO_TENANTS[0].customers[0][1])
    for department in Department.objects.filter(tenant=acme):
        DepartmentAccess.objects.update_or_create(
            tenant=acme,
            customer=customer,
            department=department,
            defaults={"is_enabled": True, "source": AccessSource.STAFF},
        )
    capsys.readouterr()
    call_command("seed_demo")
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.strip().startswith("curl "))
    words = shlex.split(line)
    assert words[words.index("-X") + 1] == "POST"
    url = next(w for w in words if w.startswith("http://"))
    assert re.fullmatch(r"http://acme\.localhost(:\d+)?/api/v1/usage/", url)
    header = words[words.index("-H") + 1]
    assert header == f"Authorization: Bearer {DEMO_API_KEY}"
    body = json.loads(words[words.index("-d") + 1])
    api = ApiClient(acme, DEMO_API_KEY)
    first = api.post("/api/v1/usage/", body)
    assert first.status_code == 201, first.content
    assert first.json()["credits_charged"] > 0
    assert api.post("/api/v1/usage/", body).status_code == 200
