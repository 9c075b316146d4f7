"""The usage API under hostile or broken input: datetimes out of range, bodies too deep or too
large, a bug in a view, unknown addresses and key guessing all answer problem details (4xx, or
a bare 500 for a bug), never Django's HTML page or a traceback."""

import json
import logging
from unittest import mock

import pytest
from django.test import Client, override_settings

from tests.api_support import ApiClient, give_credits, ticket
from tests.conftest import host_of
from tests.portal.test_api import assert_problem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "occurred_at",
    [
        "0001-01-01T00:00:00",  # overflows converting to the business's time zone
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59",
        "9999-12-31T23:59:59-12:00",
        "1999-12-31T23:59:59Z",
        "2999-01-01T00:00:00Z",
    ],
)
def test_an_occurred_at_out_of_range_is_a_400_naming_the_field(world, desk, api, occurred_at):
    give_credits(world, world.alpha, 10)
    body = ticket(world.alpha, desk.support) | {"occurred_at": occurred_at}
    problem = assert_problem(api.post("/api/v1/usage/", body), 400, "invalid")
    assert list(problem["errors"]) == ["occurred_at"]


def test_an_occurred_at_today_is_accepted(world, desk, api):
    give_credits(world, world.alpha, 10)
    assert api.post("/api/v1/usage/", ticket(world.alpha, desk.support)).status_code == 201


def test_json_nested_too_deep_is_a_400(world, desk, api):
    body = "[" * 100_000 + "]" * 100_000
    with override_settings(KONTOR_API_MAX_BODY=1_000_000):
        assert_problem(api.post("/api/v1/usage/", body), 400)


def test_malformed_json_is_a_400(world, desk, api):
    assert_problem(api.post("/api/v1/usage/", "{nope"), 400)


def test_a_body_over_64_kb_is_a_413(world, desk, api):
    body = ticket(world.alpha, desk.support) | {"padding": "x" * 70_000}
    problem = assert_problem(api.post("/api/v1/usage/", json.dumps(body)), 413)
    assert "65536" in problem["detail"]


def test_a_bug_in_a_view_is_a_bare_problem_500_and_logged(world, desk, api, caplog):
    with (
        mock.patch(
            "subscriptions.api.departments.department_list", side_effect=RuntimeError("db secret")
        ),
        caplog.at_level(logging.ERROR, logger="core.api"),
    ):
        response = api.get("/api/v1/departments/")
    problem = assert_problem(response, 500)
    assert "db secret" not in response.content.decode() and "Traceback" not in problem["detail"]
    assert any(r.exc_info and "db secret" in str(r.exc_info[1]) for r in caplog.records)


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v1/usage", "/api/v1/v2/x/y"])
def test_an_unknown_address_is_a_problem_404(world, desk, api, path):
    assert_problem(api.get(path), 404)
    assert_problem(api.post(path, {}), 404)
    assert_problem(ApiClient(world.acme, None).get(path), 404)


def test_an_unknown_address_is_a_problem_404_without_the_licence_too(world, desk, api):
    world.acme.licence_modules = ["quotes"]
    world.acme.save()
    assert_problem(api.get("/api/v1/nope/"), 404)


def _client(world, header: str | None) -> Client:
    headers = {"Authorization": header} if header else {}
    return Client(HTTP_HOST=host_of(world.acme), headers=headers)


@override_settings(KONTOR_API_ANON_RATE="3/min")
def test_attempts_without_a_valid_key_are_limited_per_address(world, desk):
    for header in ("Bearer ktr_nope_nope", None, "Bearer ktr_guess_two"):
        assert_problem(_client(world, header).get("/api/v1/departments/"), 401)
    response = _client(world, "Bearer ktr_guess_three").get("/api/v1/departments/")
    assert_problem(response, 429)
    assert int(response["Retry-After"]) > 0
    # Over the budget even a right guess learns nothing until the window passes.
    assert_problem(_client(world, f"Bearer {desk.secret}").get("/api/v1/departments/"), 429)
    other = Client(HTTP_HOST=host_of(world.acme), REMOTE_ADDR="203.0.113.9")
    assert_problem(other.get("/api/v1/departments/"), 401)


@override_settings(KONTOR_API_ANON_RATE="2/min")
def test_requests_with_a_valid_key_do_not_use_the_address_budget(world, desk, api):
    for _ in range(4):
        assert api.get("/api/v1/departments/").status_code == 200
