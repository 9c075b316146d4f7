"""Signed links: one document, one purpose, an expiry, and revocation per customer.

A link token signs `{"c": customer_id, "o": object_id}` (and, for single-use links, a random
nonce `"n"` that the link's user records once) with a salt made of the purpose and the
customer's link secret. Rotating that secret (a service in `contracts`) revokes every link the
customer was ever sent. The customer id inside the token is read *before* verification only to
find which secret to verify with; nothing is trusted until the signature checks out.

Anyone can send a token, so the unverified part is parsed defensively: the length is capped
(which also bounds JSON nesting), floats and `Infinity`/`NaN` are refused, and the id must be a
positive integer a database key can hold. Anything else is `LinkInvalid`, never an error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.core import signing


class LinkInvalid(Exception):
    """Tampered, for another purpose, or revoked."""


class LinkExpired(LinkInvalid):
    """Genuine but older than its allowed age."""


# A genuine token is about 100 characters ({"c":…,"o":…}, a timestamp and a signature).
MAX_TOKEN_LENGTH = 256
MAX_ID = 2**63 - 1  # BigAutoField's range
# A single-use link's nonce (secrets.token_urlsafe(16) gives 22 characters).
NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class LinkTarget:
    customer_id: int
    object_id: int
    nonce: str = ""  # only single-use links carry one


def _signer(purpose: str, secret: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"kontor.link.{purpose}.{secret}")


def sign_link(
    *, purpose: str, customer_id: int, object_id: int, secret: str, nonce: str = ""
) -> str:
    data: dict[str, Any] = {"c": customer_id, "o": object_id}
    if nonce:
        if not NONCE.fullmatch(nonce):
            raise ValueError("a nonce is 16 to 64 URL-safe characters")
        data["n"] = nonce
    return _signer(purpose, secret).sign_object(data, compress=False)


def _refuse(value: str) -> Any:
    raise ValueError(f"not an id: {value}")


def _id(data: Any, key: str) -> int:
    value = data.get(key) if isinstance(data, dict) else None
    # bool is an int subclass: `true` is no id either.
    if type(value) is not int or not 0 < value <= MAX_ID:
        raise LinkInvalid("malformed link")
    return value


def peek_customer_id(token: str) -> int:
    """The customer id a token claims, unverified: only to pick the secret to verify with."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise LinkInvalid("malformed link")
    try:
        payload = token.split(":", 1)[0]
        data = json.loads(
            signing.b64_decode(payload.encode()), parse_float=_refuse, parse_constant=_refuse
        )
    except (ValueError, RecursionError) as exc:  # binascii and Unicode errors are ValueErrors
        raise LinkInvalid("malformed link") from exc
    return _id(data, "c")


def verify_link(token: str, *, purpose: str, secret: str, max_age_seconds: int) -> LinkTarget:
    if len(token) > MAX_TOKEN_LENGTH:
        raise LinkInvalid("malformed link")
    try:
        data = _signer(purpose, secret).unsign_object(token, max_age=max_age_seconds)
    except signing.SignatureExpired as exc:
        raise LinkExpired("link expired") from exc
    except signing.BadSignature as exc:
        raise LinkInvalid("bad signature") from exc
    return LinkTarget(customer_id=_id(data, "c"), object_id=_id(data, "o"), nonce=_nonce(data))


def _nonce(data: Any) -> str:
    value = data.get("n", "") if isinstance(data, dict) else ""
    if value == "":
        return ""
    if not isinstance(value, str) or not NONCE.fullmatch(value):
        raise LinkInvalid("malformed link")
    return value
