import pytest
import time_machine

from core.signing import LinkExpired, LinkInvalid, peek_customer_id, sign_link, verify_link

SECRET = "customer-secret"


def make(**overrides):
    args = {"purpose": "invoice", "customer_id": 7, "object_id": 42, "secret": SECRET}
    return sign_link(**{**args, **overrides})


def test_a_link_opens_the_one_object_it_was_made_for():
    target = verify_link(make(), purpose="invoice", secret=SECRET, max_age_seconds=3600)
    assert (target.customer_id, target.object_id) == (7, 42)
    assert peek_customer_id(make()) == 7


def test_a_tampered_link_is_refused():
    token = make()
    forged = make(object_id=43).split(":")[0] + ":" + token.split(":", 1)[1]
    with pytest.raises(LinkInvalid):
        verify_link(forged, purpose="invoice", secret=SECRET, max_age_seconds=3600)


def test_a_link_for_another_purpose_is_refused():
    with pytest.raises(LinkInvalid):
        verify_link(make(purpose="quote"), purpose="invoice", secret=SECRET, max_age_seconds=60)


def test_rotating_the_customers_secret_revokes_every_link():
    with pytest.raises(LinkInvalid):
        verify_link(make(), purpose="invoice", secret="rotated", max_age_seconds=3600)


def test_links_expire():
    with time_machine.travel("2026-01-01 12:00:00", tick=False):
        token = make()
    with time_machine.travel("2026-01-31 12:00:01", tick=False), pytest.raises(LinkExpired):
        verify_link(token, purpose="invoice", secret=SECRET, max_age_seconds=30 * 86400)


@pytest.mark.parametrize("garbage", ["", "x", "not:a:token", "eyJjIjoiYSJ9:abc"])
def test_garbage_is_invalid_not_an_error(garbage):
    with pytest.raises(LinkInvalid):
        peek_customer_id(garbage)
