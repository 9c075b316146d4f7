"""The helpdesk set-up the usage tests share: acme's departments, access rows written as the
access services would, credits, and API keys with clients that send them."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.test import Client

from core.api_keys import api_key_create
from core.models import ApiScope
from core.roles import SYSTEM
from subscriptions.credits import credits_adjust
from subscriptions.models import AccessSource, Department, DepartmentAccess
from tests.conftest import host_of

ALL_SCOPES = [s.value for s in ApiScope]


@dataclass
class Helpdesk:
    support: Department  # 1 credit per request, needs a package
    development: Department  # 3 credits per request, conversations do not count
    chat: Department  # open to all, free
    secret: str  # acme's key, all scopes


def helpdesk(world) -> Helpdesk:
    support = Department.objects.create(tenant=world.acme, name="Support", credits_per_request=1)
    development = Department.objects.create(
        tenant=world.acme, name="Development", credits_per_request=3, counts_conversations=False
    )
    chat = Department.objects.create(
        tenant=world.acme, name="Live chat", credits_per_request=2, needs_package=False
    )
    for department in (support, development):
        access_switch(world.alpha, department, on=True)
    _key, secret = api_key_create(
        tenant=world.acme, name="Helpdesk", scopes=ALL_SCOPES, actor=SYSTEM
    )
    return Helpdesk(support, development, chat, secret)


def access_switch(customer, department, *, on: bool) -> None:
    DepartmentAccess.objects.update_or_create(
        tenant=customer.tenant,
        customer=customer,
        department=department,
        defaults={"is_enabled": on, "source": AccessSource.STAFF},
    )


def give_credits(world, customer, credits: int) -> None:
    manager = world.staff[customer.tenant.slug, "manager"]
    credits_adjust(customer=customer, delta=credits, reason="Test credits", actor=manager)


class ApiClient:
    """A test client on `tenant`'s host that sends `secret` as a bearer key."""

    def __init__(self, tenant, secret: str | None) -> None:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        self.client = Client(HTTP_HOST=host_of(tenant), headers=headers)

    def get(self, path: str, params: dict | None = None):
        return self.client.get(path, params or {})

    def post(self, path: str, body) -> object:
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.post(path, data, content_type="application/json")


def ticket(customer, department, external_id: str = "T-1", kind: str = "ticket") -> dict:
    return {
        "customer_number": customer.number,
        "department": department.pk,
        "kind": kind,
        "external_id": external_id,
        "occurred_at": "2026-03-20T10:00:00Z",
    }
