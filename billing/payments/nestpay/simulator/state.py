"""The simulator's memory: merchants (clientid -> store key and API credentials), the 3-D sessions
waiting for a card, and the order book. One lock: the server answers on several threads."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Merchant:
    client_id: str
    store_key: str
    api_user: str = ""
    api_password: str = ""


def bank_time() -> str:
    """A time as the banks' inquiries write it: "2024-01-02 21:53:02.486"."""
    now = dt.datetime.now()  # the banks answer in local time
    return now.strftime("%Y-%m-%d %H:%M:%S.") + f"{now.microsecond // 1000:03d}"


@dataclass
class Credit:
    """One Credit the merchant asked for, refused ones included: the bank keeps both."""

    amount: Decimal
    approved: bool
    proc_return_code: str  # "00", or "99" for a refused one
    trans_id: str
    auth_code: str = ""
    host_ref_num: str = ""
    at: str = field(default_factory=bank_time)


@dataclass
class Order:
    oid: str
    client_id: str
    amount: Decimal
    currency: str  # ISO 4217 numeric, as posted
    status: str  # approved | declined
    proc_return_code: str
    trans_id: str
    auth_code: str
    installments: str = ""
    pan: str = ""  # masked, "4546 71** **** 7894"
    host_ref_num: str = ""
    paid_on: dt.date = field(default_factory=dt.date.today)
    paid_at: str = field(default_factory=bank_time)
    voided_at: str = ""
    credits: list[Credit] = field(default_factory=list)

    @property
    def voided(self) -> bool:
        return bool(self.voided_at)

    @property
    def refunded(self) -> Decimal:
        return sum((credit.amount for credit in self.credits if credit.approved), Decimal(0))

    @property
    def refundable(self) -> Decimal:
        return self.amount - self.refunded


@dataclass
class GateSession:
    """A form the gate accepted, waiting for the cardholder: for a card on the test-card page
    (3D Pay Hosting), or for the 3-D Secure confirmation of the card posted with it (3D Pay)."""

    merchant: Merchant
    fields: dict[str, str]  # the merchant's signed fields, never the card's
    card_number: str = ""  # 3D Pay only; kept in memory until the confirmation


class Bank:
    def __init__(self) -> None:
        self.lock = threading.RLock()  # re-entered: API handlers take new ids under it
        self.merchants: dict[str, Merchant] = {}
        self.sessions: dict[str, GateSession] = {}
        self.orders: dict[str, Order] = {}
        self._sequence = 0

    def add_merchant(self, merchant: Merchant) -> None:
        with self.lock:
            self.merchants[merchant.client_id] = merchant

    def merchant(self, client_id: str) -> Merchant | None:
        with self.lock:
            return self.merchants.get(client_id)

    def open_session(
        self, merchant: Merchant, fields: dict[str, str], card_number: str = ""
    ) -> str:
        token = secrets.token_urlsafe(16)
        with self.lock:
            self.sessions[token] = GateSession(merchant, dict(fields), card_number)
        return token

    def session(self, token: str) -> GateSession | None:
        with self.lock:
            return self.sessions.get(token)

    def take_session(self, token: str) -> GateSession | None:
        """A session is used once: the back-post of one 3-D page happens once."""
        with self.lock:
            return self.sessions.pop(token, None)

    def next_ids(self) -> tuple[str, str]:
        """A fresh (TransId, AuthCode) pair, in the shapes the banks use."""
        with self.lock:
            self._sequence += 1
            sequence = self._sequence
        today = dt.datetime.now(dt.UTC).strftime("%y%j")
        return f"{today}{secrets.token_hex(4).upper()}{sequence:04d}", f"{sequence:06d}"

    def next_host_ref_num(self) -> str:
        """A 12-digit host reference (RRN), "400200744059" in the banks' answers."""
        with self.lock:
            self._sequence += 1
            sequence = self._sequence
        return dt.datetime.now(dt.UTC).strftime("%y%j") + f"{sequence:07d}"

    def reset(self) -> None:
        with self.lock:
            self.sessions.clear()
            self.orders.clear()
