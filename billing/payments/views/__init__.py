"""Portal pages for paying, by area: saved cards, paying an invoice (by card, or at a bank's
3-D page), the payments made, and Stripe's webhook."""

from billing.payments.views.bank import nestpay_fail, nestpay_ok
from billing.payments.views.cards import (
    payment_method_add,
    payment_method_default,
    payment_method_delete,
    payment_methods,
)
from billing.payments.views.pay import invoice_pay_confirmed, invoice_pay_page, pay_outcome
from billing.payments.views.payments import payment_list, payment_receipt
from billing.payments.views.webhook import stripe_webhook

__all__ = [
    "invoice_pay_confirmed",
    "invoice_pay_page",
    "nestpay_fail",
    "nestpay_ok",
    "pay_outcome",
    "payment_list",
    "payment_method_add",
    "payment_method_default",
    "payment_method_delete",
    "payment_methods",
    "payment_receipt",
    "stripe_webhook",
]
