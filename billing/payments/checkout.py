"""Invoices for one-off orders (a package bought in the portal): one finalized invoice per
order, with the order's price on one line."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from billing.documents.models import Invoice
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from core.models import User
from core.roles import SYSTEM, SystemActor
from subscriptions.credits import package_purchase
from subscriptions.models import Order


@transaction.atomic
def order_invoice(*, order: Order, actor: User | SystemActor, today: date) -> Invoice:
    """The order's invoice, finalized (and e-mailed like any other); made once."""
    order = Order.objects.select_for_update().select_related("customer__tenant").get(pk=order.pk)
    existing = Invoice.objects.filter(lines__order=order).first()
    if existing is not None:
        return existing
    # Invoicing what was bought is the system's work, whoever bought it (often a contact).
    invoice = invoice_create_draft(customer=order.customer, actor=SYSTEM, currency=order.currency)
    invoice_add_line(
        invoice=invoice,
        description=order.title,
        unit_price=order.amount,
        actor=SYSTEM,
        service_start=today,
        service_end=today,
        order=order,
    )
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=today)


@transaction.atomic
def package_purchase_invoiced(
    *, customer, package, actor: User, today: date, confirm_forfeit: bool
) -> Invoice:
    """Buy a package and issue its invoice in one step: both happen, or neither."""

    order = package_purchase(
        customer=customer,
        package=package,
        actor=actor,
        today=today,
        confirm_forfeit=confirm_forfeit,
    )
    return order_invoice(order=order, actor=actor, today=today)
