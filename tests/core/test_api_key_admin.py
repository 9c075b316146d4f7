"""API keys in the back office: an Owner creates one and sees its secret once (only the hash is
kept), revokes keys (audited); other roles and other businesses see nothing."""

import hashlib
import re

import pytest

from core.api_keys import api_key_create
from core.models import ApiKey, AuditEntry
from core.roles import SYSTEM

pytestmark = pytest.mark.django_db
ADD = "/manage/core/apikey/add/"
LIST = "/manage/core/apikey/"


def test_an_owner_creates_a_key_and_sees_its_secret_once(world):
    owner = world.client(world.staff["acme", "owner"])
    response = owner.post(ADD, {"name": "Helpdesk", "scopes": ["usage:write", "customers:read"]})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = re.search(r'<code id="api-key-secret">([^<]+)</code>', response.content.decode())[1]
    key = ApiKey.objects.get(tenant=world.acme)
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.scopes == ["customers:read", "usage:write"]
    assert AuditEntry.objects.filter(action="api_key.create", actor=world.staff["acme", "owner"])
    shown = owner.get(f"/manage/core/apikey/{key.pk}/change/").content.decode()
    assert key.prefix in shown and secret not in shown


def test_a_key_needs_a_scope(world):
    owner = world.client(world.staff["acme", "owner"])
    response = owner.post(ADD, {"name": "Helpdesk"})
    assert response.status_code == 200 and not ApiKey.objects.exists()
    assert b"errorlist" in response.content


def test_an_owner_revokes_keys_audited(world):
    key, _secret = api_key_create(
        tenant=world.acme, name="Old", scopes=["usage:write"], actor=SYSTEM
    )
    owner = world.client(world.staff["acme", "owner"])
    response = owner.post(LIST, {"action": "revoke", "_selected_action": [key.pk]})
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == world.staff["acme", "owner"]
    assert AuditEntry.objects.filter(action="api_key.revoke", object_id=str(key.pk)).count() == 1


@pytest.mark.parametrize("role", ["support", "billing", "manager"])
def test_other_roles_cannot_see_or_create_keys(world, role):
    staff = world.client(world.staff["acme", role])
    assert staff.get(LIST).status_code == 403
    assert staff.post(ADD, {"name": "x", "scopes": ["usage:write"]}).status_code == 403
    assert not ApiKey.objects.exists()


def test_another_businesss_owner_sees_no_key_of_ours(world):
    key, _secret = api_key_create(
        tenant=world.acme, name="Acme", scopes=["usage:write"], actor=SYSTEM
    )
    globex_owner = world.client(world.staff["globex", "owner"], world.globex)
    assert "Acme" not in globex_owner.get(LIST).content.decode()
    assert globex_owner.get(f"/manage/core/apikey/{key.pk}/change/").status_code == 404
    globex_owner.post(LIST, {"action": "revoke", "_selected_action": [key.pk]})
    key.refresh_from_db()
    assert key.revoked_at is None
