import pytest
import time_machine
from django.core import signing

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


def crafted(payload: str) -> str:
    """A token whose payload is hand-written JSON, with a made-up timestamp and signature."""
    return signing.b64_encode(payload.encode()).decode() + ":1abcde:" + "x" * 43


@pytest.mark.parametrize(
    "payload",
    [
        '{"c": 1e400, "o": 1}',  # a float too large for an int: OverflowError
        '{"c": Infinity, "o": 1}',
        '{"c": NaN, "o": 1}',
        '{"c": 7.5, "o": 1}',
        '{"c": "7", "o": 1}',
        '{"c": true, "o": 1}',
        '{"c": 0, "o": 1}',
        '{"c": -7, "o": 1}',
        '{"c": 99999999999999999999999, "o": 1}',  # more than a bigint holds
        '{"c": [7], "o": 1}',
        '{"o": 1}',
        "[7]",
        '"7"',
        "7",
        "null",
        '{"c": ' + "[" * 100_000 + "]" * 100_000 + "}",  # RecursionError, if it were parsed
    ],
)
def test_a_crafted_payload_is_invalid_not_an_error(payload):
    with pytest.raises(LinkInvalid):
        peek_customer_id(crafted(payload))


def test_an_overlong_token_is_invalid_before_anything_is_parsed():
    with pytest.raises(LinkInvalid):
        peek_customer_id(crafted('{"c": 7, "o": 1, "pad": "' + "x" * 300 + '"}'))
    long_but_signed = make() + "x" * 300
    with pytest.raises(LinkInvalid):
        verify_link(long_but_signed, purpose="invoice", secret=SECRET, max_age_seconds=3600)


@pytest.mark.parametrize(
    "data",
    [{"c": 7, "o": "42"}, {"c": 7, "o": [42]}, {"c": 7, "o": 4.2}, {"c": 7}, [7, 42], "7"],
)
def test_a_genuinely_signed_payload_of_the_wrong_shape_is_invalid(data):
    # Only Kontor signs links, but what it reads back is still checked, not assumed.
    token = signing.TimestampSigner(salt=f"kontor.link.invoice.{SECRET}").sign_object(data)
    with pytest.raises(LinkInvalid):
        verify_link(token, purpose="invoice", secret=SECRET, max_age_seconds=3600)
