"""The OpenAPI schema: generated without warnings, valid, and true — every documented
operation is called as documented and answers with a documented status and body shape. The
docs page works offline (assets from drf-spectacular-sidecar) and under our CSP."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from tests.api_support import ApiClient, give_credits, helpdesk

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test"}
    out = tmp_path / "schema.yaml"
    command = [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn"]
    done = subprocess.run(  # noqa: S603 — our own interpreter, fixed arguments
        [*command, "--file", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stderr
    assert "/api/v1/usage/" in out.read_text()


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def _conforms(schema: dict, node: dict, value, where: str = "body") -> None:
    """A small structural check of `value` against an OpenAPI schema node: types, required
    properties, no undocumented properties, enums."""
    node = _resolve(schema, node)
    if "allOf" in node:
        for part in node["allOf"]:
            _conforms(schema, part, value, where)
        return
    if "oneOf" in node:
        nullable = [n for n in node["oneOf"] if _resolve(schema, n).get("type") != "null"]
        if value is not None:
            _conforms(schema, nullable[0], value, where)
        return
    if value is None:
        assert node.get("nullable"), f"{where} is null but not nullable"
        return
    kind = node.get("type")
    if "enum" in node:
        assert value in node["enum"], f"{where}={value!r} not in {node['enum']}"
    if kind == "object" or "properties" in node:
        assert isinstance(value, dict), f"{where} is not an object"
        props = node.get("properties", {})
        for name in node.get("required", []):
            assert name in value, f"{where}.{name} is required but missing"
        extra = node.get("additionalProperties")
        for name, item in value.items():
            if name in props:
                _conforms(schema, props[name], item, f"{where}.{name}")
            else:
                assert extra, f"{where}.{name} is not documented"
                if isinstance(extra, dict):
                    _conforms(schema, extra, item, f"{where}.{name}")
    elif kind == "array":
        assert isinstance(value, list), f"{where} is not an array"
        for n, item in enumerate(value):
            _conforms(schema, node["items"], item, f"{where}[{n}]")
    elif kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), f"{where} not integer"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{where} not boolean"
    elif kind == "string":
        assert isinstance(value, str), f"{where} not a string"


def _example(name: str, world, desk, counter: list[int]) -> object:
    counter[0] += 1
    return {
        "customer_id": world.alpha.pk,
        "customer_number": world.alpha.number,
        "department": desk.support.pk,
        "kind": "ticket",
        "external_id": f"walk-{counter[0]}",
        "occurred_at": "2026-03-20T10:00:00Z",
    }[name]


def _call(api, schema, path, method, operation, world, desk, counter):
    url = path
    query: dict = {}
    for param in operation.get("parameters", []):
        value = _example(param["name"], world, desk, counter)
        if param["in"] == "path":
            url = url.replace("{" + param["name"] + "}", str(value))
        elif param["in"] == "query" and param.get("required"):
            query[param["name"]] = value
    if "customer_number" not in query and any(
        p["name"] == "customer_id" and p["in"] == "query" for p in operation.get("parameters", [])
    ):
        query["customer_id"] = world.alpha.pk  # one of the two, documented as optional each
    if method == "get":
        return api.get(url, query)
    body_schema = _resolve(
        schema, operation["requestBody"]["content"]["application/json"]["schema"]
    )
    body = {
        name: _example(name, world, desk, counter)
        for name in body_schema["properties"]
        if name in body_schema.get("required", []) or name == "customer_id"
    }
    return api.post(url, body)


def test_every_documented_endpoint_answers_as_documented(world):
    desk = helpdesk(world)
    give_credits(world, world.alpha, 50)
    api = ApiClient(world.acme, desk.secret)
    anonymous = ApiClient(world.acme, None)
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    counter = [0]
    called = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for client, expected in ((api, None), (anonymous, "401")):
                response = _call(client, schema, path, method, operation, world, desk, counter)
                status = str(response.status_code)
                assert status in operation["responses"], f"{method} {path}: {status} undocumented"
                if expected:
                    assert status == expected, f"{method} {path} without a key: {status}"
                else:
                    assert status.startswith("2"), f"{method} {path}: {response.content}"
                documented = operation["responses"][status]["content"]
                media = response["Content-Type"].split(";")[0]
                assert media in documented, f"{method} {path} {status}: {media}"
                _conforms(schema, documented[media]["schema"], response.json(), f"{path} {status}")
            called.append(f"{method.upper()} {path}")
    assert len(called) == 5, called
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def test_the_docs_page_loads_its_assets_from_our_own_static_files_under_the_csp(world):
    api = ApiClient(world.acme, None)
    page = api.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    policy = dict(part.strip().split(" ", 1) for part in page["Content-Security-Policy"].split(";"))
    assert "'self'" in policy["script-src"] and "unsafe-inline" not in policy["script-src"]
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attrs for attrs in scripts), "an inline script: CSP blocks it"
    for asset in re.findall(r'(?:src|href)="(/static/[^"?]+)"', html):
        assert finders.find(asset.removeprefix("/static/")), asset
    start = re.search(r'<script src="(/api/v1/docs/\?[^"]*)"', html).group(1).replace("&amp;", "&")
    script = api.get(start)
    assert script.status_code == 200 and "javascript" in script["Content-Type"]
    assert "/api/v1/schema/" in script.content.decode()
    assert api.get("/api/v1/schema/").status_code == 200
