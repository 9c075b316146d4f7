from quotes.models.quote import (
    QUOTE_TRANSITIONS,
    VISIBLE_TO_CUSTOMERS,
    DepositKind,
    LineKind,
    Quote,
    QuoteEvent,
    QuoteLine,
    QuoteLineOption,
    QuoteStatus,
)
from quotes.models.request import QuoteRequest, QuoteRequestItem, RequestStatus

__all__ = [
    "QUOTE_TRANSITIONS",
    "VISIBLE_TO_CUSTOMERS",
    "DepositKind",
    "LineKind",
    "Quote",
    "QuoteEvent",
    "QuoteLine",
    "QuoteLineOption",
    "QuoteRequest",
    "QuoteRequestItem",
    "QuoteStatus",
    "RequestStatus",
]
