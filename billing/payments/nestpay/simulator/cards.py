"""The simulator's test cards and what each one makes the bank answer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CardOutcome:
    md_status: str
    proc_return_code: str
    response: str  # Approved | Declined | Error
    err_msg: str
    md_error_msg: str = ""

    @property
    def approved(self) -> bool:
        return self.response == "Approved"


APPROVED = CardOutcome("1", "00", "Approved", "")
CARD_APPROVED = "4546711234567894"
CARD_3D_FAILS = "4508034508034509"
CARD_INSUFFICIENT_FUNDS = "4355084355084358"
CARD_HALF_SECURE = "5406675406675403"

TEST_CARDS: dict[str, tuple[str, CardOutcome]] = {
    CARD_APPROVED: ("Approved", APPROVED),
    CARD_3D_FAILS: (
        "3-D authentication fails",
        CardOutcome("0", "99", "Declined", "3-D authentication failed", "Not authenticated"),
    ),
    CARD_INSUFFICIENT_FUNDS: (
        "Declined: insufficient funds (51)",
        CardOutcome("1", "51", "Declined", "Insufficient funds"),
    ),
    CARD_HALF_SECURE: ("Half secure (attempt), approved", CardOutcome("4", "00", "Approved", "")),
}
OTHER_CARD = CardOutcome("1", "05", "Declined", "Do not honour")


def outcome_for(card_number: str) -> CardOutcome:
    digits = "".join(ch for ch in card_number if ch.isdigit())
    entry = TEST_CARDS.get(digits)
    return entry[1] if entry else OTHER_CARD


def masked(card_number: str) -> str:
    digits = "".join(ch for ch in card_number if ch.isdigit())
    return f"{digits[:6]}******{digits[-4:]}" if len(digits) >= 10 else "****"


def inquiry_pan(card_number: str) -> str:
    """The card as the order inquiry shows it: "4546 71** **** 7894"."""
    digits = "".join(ch for ch in card_number if ch.isdigit())
    return f"{digits[:4]} {digits[4:6]}** **** {digits[-4:]}" if len(digits) >= 10 else ""
