"""The low-balance threshold is a business setting: its Owner sets it in the back office."""

import pytest

from tests.conftest import client_for
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db
URL = "/manage/core/tenant/{}/change/"


def test_the_owner_sets_and_clears_the_threshold(world):
    client = client_for(world.staff["acme", "owner"], world.acme)
    url = URL.format(world.acme.pk)
    page = client.get(url)
    assert "low-balance alert below (credits)" in page.content.decode().lower()
    response = client.post(url, admin_form_data(page, logo=None, low_balance_threshold="5"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    world.acme.refresh_from_db()
    assert world.acme.low_balance_threshold == 5
    response = client.post(
        url, admin_form_data(client.get(url), logo=None, low_balance_threshold="")
    )
    assert response.status_code == 302
    world.acme.refresh_from_db()
    assert world.acme.low_balance_threshold is None


def test_a_threshold_of_zero_is_a_form_error(world):
    client = client_for(world.staff["acme", "owner"], world.acme)
    url = URL.format(world.acme.pk)
    response = client.post(
        url, admin_form_data(client.get(url), logo=None, low_balance_threshold="0")
    )
    assert response.status_code == 200
    assert "low_balance_threshold" in response.context["adminform"].form.errors


def test_a_manager_cannot_change_it(world):
    client = client_for(world.staff["acme", "manager"], world.acme)
    url = URL.format(world.acme.pk)
    assert client.post(url, {"low_balance_threshold": "5"}).status_code == 403
    world.acme.refresh_from_db()
    assert world.acme.low_balance_threshold is None
