"""The usage API tests' shared set-up: acme's helpdesk and a client sending its key."""

import pytest

from tests.api_support import ApiClient, helpdesk


@pytest.fixture
def desk(world):
    return helpdesk(world)


@pytest.fixture
def api(world, desk):
    return ApiClient(world.acme, desk.secret)
