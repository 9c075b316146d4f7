"""The usage REST API over HTTP: keys (hashed, scoped, revocable, tied to their business),
idempotent reports (201, then 200; 409 on conflict), 402/403 refusals charging nothing, 404 for
another business's customer or department, problem details for every error, the rate limit,
and the licence module that switches it all off."""

import hashlib

import pytest
from django.test import override_settings

from core.api_keys import api_key_create, api_key_revoke
from core.models import ApiKey, ApiScope, AuditEntry
from core.roles import SYSTEM
from subscriptions.credits import credit_account
from subscriptions.models import Department, UsageRecord
from tests.api_support import ALL_SCOPES, ApiClient, access_switch, give_credits, ticket

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


class TestKeys:
    def test_the_secret_is_not_stored_only_its_hash(self, world):
        key, secret = api_key_create(
            tenant=world.acme, name="Desk", scopes=ALL_SCOPES, actor=world.staff["acme", "owner"]
        )
        stored = ApiKey.objects.filter(pk=key.pk).values().get()
        assert secret not in " ".join(str(v) for v in stored.values())
        assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret.startswith(f"ktr_{key.prefix}_") and len(secret) > 40
        assert AuditEntry.objects.filter(action="api_key.create", object_id=str(key.pk)).exists()

    def test_only_an_owner_creates_keys(self, world):
        from django.core.exceptions import PermissionDenied

        with pytest.raises(PermissionDenied):
            api_key_create(
                tenant=world.acme,
                name="Desk",
                scopes=ALL_SCOPES,
                actor=world.staff["acme", "manager"],
            )

    def test_a_revoked_key_no_longer_authenticates(self, world, desk, api):
        assert api.get("/api/v1/departments/").status_code == 200
        key = ApiKey.objects.get(tenant=world.acme)
        api_key_revoke(key=key, actor=world.staff["acme", "owner"])
        assert_problem(api.get("/api/v1/departments/"), 401)
        assert AuditEntry.objects.filter(action="api_key.revoke").count() == 1

    @pytest.mark.parametrize(
        "header",
        [
            None,
            "Bearer",
            "Bearer ktr_nope_nope",
            "Bearer a b",
            "Basic dXNlcjpwYXNz",
            "Bearer é",
            "Bearer ktr_a\x00b_c",
            "Bearer ktr__x",
        ],
    )
    def test_without_a_valid_key_the_answer_is_401(self, world, desk, header):
        from django.test import Client

        from tests.conftest import host_of

        headers = {"Authorization": header} if header else {}
        client = Client(HTTP_HOST=host_of(world.acme), headers=headers)
        response = client.get("/api/v1/departments/")
        assert_problem(response, 401)
        assert response["WWW-Authenticate"] == "Bearer"

    def test_a_wrong_secret_with_a_real_prefix_is_refused(self, world, desk):
        forged = desk.secret[:-4] + "AAAA"
        assert_problem(ApiClient(world.acme, forged).get("/api/v1/departments/"), 401)

    def test_another_businesss_key_never_works_on_this_host(self, world, desk):
        _key, globex_secret = api_key_create(
            tenant=world.globex, name="Globex desk", scopes=ALL_SCOPES, actor=SYSTEM
        )
        assert ApiClient(world.globex, globex_secret).get("/api/v1/departments/").status_code == 200
        assert_problem(ApiClient(world.acme, globex_secret).get("/api/v1/departments/"), 401)
        assert_problem(ApiClient(world.globex, desk.secret).get("/api/v1/departments/"), 401)

    def test_a_key_without_the_scope_gets_403(self, world, desk):
        _key, secret = api_key_create(
            tenant=world.acme, name="Read", scopes=[ApiScope.DEPARTMENTS_READ], actor=SYSTEM
        )
        api = ApiClient(world.acme, secret)
        assert api.get("/api/v1/departments/").status_code == 200
        body = assert_problem(api.post("/api/v1/usage/", ticket(world.alpha, desk.support)), 403)
        assert "usage:write" in body["detail"]
        assert_problem(api.get(f"/api/v1/customers/{world.alpha.pk}/"), 403)

    def test_use_is_noted_on_the_key(self, world, desk, api):
        api.get("/api/v1/departments/")
        assert ApiKey.objects.get(tenant=world.acme).last_used_at is not None


class TestReports:
    def test_the_first_report_is_201_with_the_charge_and_the_balance_after(self, world, desk, api):
        give_credits(world, world.alpha, 10)
        response = api.post("/api/v1/usage/", ticket(world.alpha, desk.development))
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["credits_charged"] == 3 and body["balance_after"] == 7
        assert body["customer_id"] == world.alpha.pk and body["external_id"] == "T-1"
        assert UsageRecord.objects.get().api_key.tenant == world.acme

    def test_the_same_report_again_is_200_with_the_same_record_charging_nothing(
        self, world, desk, api
    ):
        give_credits(world, world.alpha, 10)
        first = api.post("/api/v1/usage/", ticket(world.alpha, desk.support)).json()
        by_id = {**ticket(world.alpha, desk.support), "customer_id": world.alpha.pk}
        del by_id["customer_number"]
        again = api.post("/api/v1/usage/", by_id)
        assert again.status_code == 200
        assert again.json()["id"] == first["id"] and again.json()["balance_after"] == 9
        assert credit_account(world.alpha).balance == 9

    def test_a_conflicting_report_is_409(self, world, desk, api):
        give_credits(world, world.alpha, 10)
        api.post("/api/v1/usage/", ticket(world.alpha, desk.support))
        response = api.post("/api/v1/usage/", ticket(world.alpha, desk.development))
        assert_problem(response, 409, "conflict")
        assert credit_account(world.alpha).balance == 9

    def test_without_credits_it_is_402_and_charges_nothing(self, world, desk, api):
        give_credits(world, world.alpha, 2)
        response = api.post("/api/v1/usage/", ticket(world.alpha, desk.development))
        body = assert_problem(response, 402, "no_credits")
        assert body["balance"] == 2 and body["credits_needed"] == 3
        assert "credits" in body["detail"]
        assert credit_account(world.alpha).balance == 2 and not UsageRecord.objects.exists()

    def test_without_access_to_the_department_it_is_403_with_the_reason(self, world, desk, api):
        give_credits(world, world.alpha, 10)
        access_switch(world.alpha, desk.support, on=False)
        response = api.post("/api/v1/usage/", ticket(world.alpha, desk.support))
        assert_problem(response, 403, "no_access")
        assert credit_account(world.alpha).balance == 10

    def test_another_businesss_customer_or_department_is_404(self, world, desk, api):
        give_credits(world, world.alpha, 10)
        globex_department = Department.objects.create(tenant=world.globex, name="Support")
        other_customer = {**ticket(world.alpha, desk.support), "customer_number": "C-1"}
        assert_problem(api.post("/api/v1/usage/", other_customer), 404)
        other_department = ticket(world.alpha, globex_department)
        assert_problem(api.post("/api/v1/usage/", other_department), 404)
        by_id = {**ticket(world.alpha, desk.support), "customer_id": world.charlie_co.pk}
        del by_id["customer_number"]
        assert_problem(api.post("/api/v1/usage/", by_id), 404)
        assert_problem(api.get(f"/api/v1/customers/{world.charlie_co.pk}/"), 404)
        assert_problem(api.get("/api/v1/customers/by-number/C-1/"), 404)
        check = {"customer_id": world.alpha.pk, "department": globex_department.pk}
        assert_problem(api.get("/api/v1/usage/check/", check), 404)
        assert not UsageRecord.objects.exists()

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"external_id": "T\x00-1"}, "external_id"),
            ({"external_id": ""}, "external_id"),
            ({"external_id": "x" * 201}, "external_id"),
            ({"external_id": ["a"]}, "external_id"),
            ({"department": 10**30}, "department"),
            ({"department": "abc"}, "department"),
            ({"department": -1}, "department"),
            ({"department": None}, "department"),
            ({"kind": "fax"}, "kind"),
            ({"occurred_at": "yesterday"}, "occurred_at"),
            ({"occurred_at": "2026-02-30T10:00:00Z"}, "occurred_at"),
            ({"occurred_at": "9999-12-31T23:59:59-14:00"}, "occurred_at"),
            ({"occurred_at": "0001-01-01T00:00:00+14:00"}, "occurred_at"),
            ({"occurred_at": 12345}, "occurred_at"),
            ({"customer_number": None}, "customer_number"),
            ({"customer_number": "A\x00"}, "customer_number"),
            ({"customer_id": 10**30}, "customer_id"),
            ({"customer_id": 5}, "customer_id"),  # both: one of the two, please
        ],
    )
    def test_bad_input_is_400_naming_the_field(self, world, desk, api, change, field):
        give_credits(world, world.alpha, 10)
        body = assert_problem(
            api.post("/api/v1/usage/", {**ticket(world.alpha, desk.support), **change}), 400
        )
        assert field in body["errors"], body
        assert not UsageRecord.objects.exists()

    @pytest.mark.parametrize("raw", ["not json", "[1, 2]", '{"a": 1', "\x00", "null", "1e999999"])
    def test_a_body_that_is_not_an_object_is_400(self, world, desk, api, raw):
        response = api.post("/api/v1/usage/", raw)
        assert_problem(response, 400)

    def test_a_missing_field_is_named(self, world, desk, api):
        body = assert_problem(api.post("/api/v1/usage/", {}), 400)
        assert {"department", "kind", "external_id", "occurred_at"} <= set(body["errors"])
        no_customer = ticket(world.alpha, desk.support)
        del no_customer["customer_number"]
        body = assert_problem(api.post("/api/v1/usage/", no_customer), 400)
        assert "customer_id" in body["errors"]


class TestReads:
    def test_departments_list_their_prices_and_rules(self, world, desk, api):
        body = api.get("/api/v1/departments/").json()
        assert [d["name"] for d in body] == ["Development", "Live chat", "Support"]
        assert body[0]["credits_per_request"] == 3 and body[0]["counts_conversations"] is False
        assert body[1]["needs_package"] is False

    def test_a_customers_balance_and_access_by_id_and_by_number(self, world, desk, api):
        give_credits(world, world.alpha, 4)
        by_id = api.get(f"/api/v1/customers/{world.alpha.pk}/").json()
        by_number = api.get("/api/v1/customers/by-number/A-1/").json()
        assert by_id == by_number
        assert by_id["balance"] == 4 and by_id["package_kind"] == "credits"
        allowed = {d["department"]["name"]: d["allowed"] for d in by_id["departments"]}
        assert allowed == {"Development": True, "Live chat": True, "Support": True}
        bravo = api.get(f"/api/v1/customers/{world.bravo.pk}/").json()
        assert {d["department"]["name"]: d["allowed"] for d in bravo["departments"]} == {
            "Development": False,
            "Live chat": True,
            "Support": False,
        }

    @pytest.mark.parametrize(
        ("credits", "department", "kind", "allowed", "reason"),
        [
            (10, "support", "ticket", True, None),
            (2, "development", "ticket", False, "no_credits"),
            (2, "development", "conversation", True, None),
            (0, "support", "ticket", False, "no_package"),
            (0, "chat", "live_chat", True, None),
        ],
    )
    def test_the_check_says_whether_and_why_not(
        self, world, desk, api, credits, department, kind, allowed, reason
    ):
        if credits:
            give_credits(world, world.alpha, credits)
        params = {
            "customer_number": "A-1",
            "department": getattr(desk, department).pk,
            "kind": kind,
        }
        body = api.get("/api/v1/usage/check/", params).json()
        assert body["allowed"] is allowed and body["reason"] == reason
        assert bool(body["detail"]) is (reason is not None)

    def test_the_check_says_no_access(self, world, desk, api):
        params = {"customer_id": world.bravo.pk, "department": desk.support.pk}
        assert api.get("/api/v1/usage/check/", params).json()["reason"] == "no_access"

    @pytest.mark.parametrize(
        "params",
        [{}, {"customer_id": "x", "department": 1}, {"customer_number": "A-1", "kind": "fax"}],
    )
    def test_a_bad_check_is_400(self, world, desk, api, params):
        assert_problem(api.get("/api/v1/usage/check/", params), 400)


@override_settings(KONTOR_API_RATE="3/min")
def test_more_requests_than_the_rate_allows_get_429_per_key(world, desk, api):
    for _ in range(3):
        assert api.get("/api/v1/departments/").status_code == 200
    response = api.get("/api/v1/departments/")
    assert_problem(response, 429)
    assert int(response["Retry-After"]) > 0
    _key, other = api_key_create(tenant=world.acme, name="Other", scopes=ALL_SCOPES, actor=SYSTEM)
    assert ApiClient(world.acme, other).get("/api/v1/departments/").status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/departments/", "/api/v1/usage/", "/api/v1/schema/", "/api/v1/docs/"]
)
def test_without_the_paid_support_licence_the_api_is_404(world, desk, api, path):
    world.acme.licence_modules = ["quotes"]
    world.acme.save()
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert_problem(api.post("/api/v1/usage/", ticket(world.alpha, desk.support)), 404)


@pytest.mark.parametrize("extra", [0, 15])
def test_lists_run_the_same_queries_however_many_departments(world, desk, api, extra):
    from tests.helpers import assert_max_queries

    for n in range(extra):
        access_switch(
            world.alpha, Department.objects.create(tenant=world.acme, name=f"D{n}"), on=True
        )
    api.get("/api/v1/departments/")  # the key's last use is noted once a minute, not now
    for path in ("/api/v1/departments/", f"/api/v1/customers/{world.alpha.pk}/"):
        with assert_max_queries(6):
            assert api.get(path).status_code == 200
