"""NestPay hash version 3 (`hashAlgorithm=ver3`), as the banks' public integration guides give it:

1. take every posted field except `hash` and `encoding` (names compared case-insensitively),
   and `nationalidno`, which some banks (Ziraat) post back but leave out of their hash,
2. sort the field names case-insensitively, in natural order (digit runs as numbers), folding
   to upper case — so `_` sorts after the letters, as the banks' PHP sample (`natcasesort`) and
   the integrations that verify real answers with it do,
3. in each value escape `\\` as `\\\\` and `|` as `\\|`,
4. join the values with `|`, then append `|` and the escaped store key,
5. SHA-512 over the UTF-8 bytes, base64-encoded.

The same rule signs the form Kontor posts to the 3-D gate and the bank's answer (its `HASH`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping

# Compared lower-cased: the gate posts `HASH` back, Kontor posts `hash`.
EXCLUDED_FIELDS = frozenset({"hash", "encoding", "nationalidno"})
_RUNS = re.compile(r"\d+|\D")


def _natural_upper(name: str) -> list[tuple[int, int]]:
    """Sort key: each character by its upper-case code, each digit run by its value (digits
    sort before letters, as their codes do)."""
    return [
        (0x30, int(run)) if run.isdigit() else (ord(run.upper()[0]), 0)
        for run in _RUNS.findall(name)
    ]


def _escape(value: str) -> str:
    # Backslash first, or the backslashes added for `|` would be doubled again.
    return value.replace("\\", "\\\\").replace("|", "\\|")


def nestpay_plaintext(fields: Mapping[str, str], store_key: str) -> str:
    """The string that is hashed; exposed so tests can compare it with an independent tool."""
    names = sorted(
        (name for name in fields if name.lower() not in EXCLUDED_FIELDS), key=_natural_upper
    )
    values = [_escape(str(fields[name])) for name in names]
    return "|".join([*values, _escape(store_key)])


def nestpay_hash(fields: Mapping[str, str], store_key: str) -> str:
    digest = hashlib.sha512(nestpay_plaintext(fields, store_key).encode("utf-8")).digest()
    return base64.b64encode(digest).decode("ascii")


def received_hash(fields: Mapping[str, str]) -> str:
    """The hash a request carries, under `HASH` or `hash`; blank when there is none."""
    for name, value in fields.items():
        if name.lower() == "hash":
            return str(value).strip()
    return ""


def nestpay_hash_valid(fields: Mapping[str, str], store_key: str) -> bool:
    """True only when the fields carry a hash equal to the one the store key gives them."""
    given = received_hash(fields)
    if not given or not store_key:
        return False
    # Constant time: a byte-by-byte compare would tell an attacker how much of a forgery is right.
    expected = nestpay_hash(fields, store_key)
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
