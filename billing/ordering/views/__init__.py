"""The portal's "Order a module", by area: the catalogue and the checkout's review, where the
order is placed (review), and paying the checkout's first invoice (pay)."""

from billing.ordering.views.pay import checkout_confirmed, checkout_detail
from billing.ordering.views.review import catalogue_page, checkout_review_page

__all__ = ["catalogue_page", "checkout_confirmed", "checkout_detail", "checkout_review_page"]
