"""The customer's side of quotes, by area: what a quote's page shows and how its answers end,
shared with the e-mailed link's pages (common), and the portal's pages (portal)."""

from quotes.views.portal import (
    quote_approve_view,
    quote_decline_view,
    quote_detail,
    quote_list,
    quote_pdf,
)

__all__ = [
    "quote_approve_view",
    "quote_decline_view",
    "quote_detail",
    "quote_list",
    "quote_pdf",
]
