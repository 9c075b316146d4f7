"""What the bank's answer codes mean, as small pure helpers.

`mdStatus` is the 3-D Secure result the gate reports (NestPay integration guides):

- 1: full authentication, the cardholder was verified (liability with the issuer);
- 2: card or issuer not enrolled in 3-D Secure; 3: issuer not enrolled; 4: attempt — the
  cardholder chose to register later, the directory server answered for the issuer (half
  secure, "attempt" in the 3-D Secure 1 terms);
- 0 and 5-9: authentication failed, not possible, or a system error: never proceed.

Kontor lets 1, 2, 3 and 4 proceed. The public guides and integrations of the NestPay banks treat
1-4 as "3-D step passed" for the 3D Pay model, and the bank itself then authorizes or declines:
in 3D Pay the authorization has already happened at the bank, so `ProcReturnCode` / `Response`
decide whether money moved. Refusing 2-4 would throw away payments the bank already approved.
`FULL_AUTHENTICATION` is kept apart so a business can be made stricter later.
Sources: the meanings of 0 and 2-8 as public 3-D integrations list them (e.g. the mdStatus table
in iyzipay-laravel's language file); EST's "Merchant Integration 3D Pay Hosting Model v1.4"
manual was found, but its mdStatus table could not be read through our search, so "1-4 proceed"
rests on the integrations, not on that manual: check it against the bank's current guide.

`ProcReturnCode` "00" with `Response` "Approved" is an approved authorization; anything else is
a decline (two digits, the ISO 8583 response code, e.g. 51 insufficient funds) or an error
("99").
"""

from __future__ import annotations

from collections.abc import Mapping

FULL_AUTHENTICATION = "1"
PROCEEDING_MD_STATUSES = frozenset({"1", "2", "3", "4"})
APPROVED_CODE = "00"
APPROVED_RESPONSE = "Approved"

# ISO 4217 numeric codes, the form NestPay's `currency` field takes.
CURRENCY_CODES: Mapping[str, str] = {"TRY": "949", "EUR": "978", "USD": "840"}
CURRENCIES_BY_CODE: Mapping[str, str] = {code: iso for iso, code in CURRENCY_CODES.items()}


def md_status_may_proceed(md_status: str | None) -> bool:
    return (md_status or "").strip() in PROCEEDING_MD_STATUSES


def md_status_fully_authenticated(md_status: str | None) -> bool:
    return (md_status or "").strip() == FULL_AUTHENTICATION


def proc_return_code_approved(proc_return_code: str | None) -> bool:
    return (proc_return_code or "").strip() == APPROVED_CODE


def payment_approved(fields: Mapping[str, str]) -> bool:
    """A 3D Pay back-post that took the money: 3-D passed and the bank approved."""
    return (
        md_status_may_proceed(fields.get("mdStatus"))
        and proc_return_code_approved(fields.get("ProcReturnCode"))
        and fields.get("Response", "") == APPROVED_RESPONSE
    )


def currency_code(currency: str) -> str:
    """ISO 4217 numeric code for an alphabetic one: "TRY" -> "949". KeyError when not supported."""
    return CURRENCY_CODES[currency.upper()]


def currency_from_code(code: str) -> str:
    """The alphabetic code for NestPay's numeric one: "949" -> "TRY". KeyError when unknown."""
    return CURRENCIES_BY_CODE[code.strip()]
