"""Invoices for one-off orders (a package bought in the portal, an order staff priced): one
finalized invoice per order, with the order's price on one line, linked back to the order
(InvoiceLine.order)."""

from __future__ import annotations

import logging
from datetime import date

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.documents.models import Invoice, InvoiceStatus
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.payments.tasks import send_package_purchase_emails
from core.audit import audit_record
from core.models import Tenant, User
from core.roles import SYSTEM, SystemActor, require
from subscriptions.credits import package_purchase
from subscriptions.models import Order


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update().select_related("customer__tenant").get(pk=order.pk)


@transaction.atomic
def order_invoice(*, order: Order, actor: User | SystemActor, today: date) -> Invoice:
    """The order's invoice, finalized (and e-mailed like any other); made once. Under the
    order's row lock, so the back office and the billing run never both invoice it."""
    order = _locked(order)
    # A voided invoice no longer bills it (order_invoice_now may invoice it again).
    existing = (
        Invoice.objects.filter(lines__order=order)
        .exclude(status=InvoiceStatus.VOID)
        .order_by("id")
        .first()
    )
    if existing is not None:
        return existing
    # Invoicing what was bought is the system's work, whoever bought it (often a contact).
    invoice = invoice_create_draft(customer=order.customer, actor=SYSTEM, currency=order.currency)
    invoice_add_line(
        invoice=invoice,
        description=order.title,
        unit_price=order.amount,
        tax_rate=order.tax_rate,  # None: the business's default rate
        actor=SYSTEM,
        service_start=today,
        service_end=today,
        order=order,
    )
    invoice = invoice_finalize(invoice=invoice, actor=SYSTEM, today=today)
    order.invoiced_at = timezone.now()
    order.save(update_fields=["invoiced_at"])
    audit_record(
        tenant=order.tenant,
        actor=actor,
        action="order.invoice",
        obj=order,
        after={"invoice": invoice.number, "amount": order.amount, "currency": order.currency},
        actor_label="billing run" if actor is SYSTEM else None,
    )
    return invoice


@transaction.atomic
def order_invoice_now(*, order: Order, actor: User, today: date) -> Invoice:
    """Back office, "Invoice this order": a priced one-off order, not invoiced yet."""
    require(actor, "invoices.manage", tenant=order.tenant)
    order = _locked(order)
    if order.subscription_id is not None or not order.is_priced:
        raise ValidationError(
            _("Only a one-off order with a price is invoiced on its own."), code="no_price"
        )
    # Invoiced once, and that invoice voided (a mistake staff corrected): invoicing it again is
    # this explicit action's to decide; the billing run never does (invoiced_at stays set).
    if Invoice.objects.filter(lines__order=order).exclude(status=InvoiceStatus.VOID).exists():
        raise ValidationError(_("This order is already invoiced."), code="invoiced")
    return order_invoice(order=order, actor=actor, today=today)


def pending_orders(tenant: Tenant):
    """Priced one-off orders not invoiced yet: the billing run invoices them."""
    return Order.objects.filter(
        tenant=tenant, subscription__isnull=True, invoiced_at__isnull=True, amount__gt=0
    )


def invoice_pending_orders(*, tenant: Tenant, today: date, customer=None) -> int:
    """The billing run's part for one-off orders: each on its own invoice, one transaction each.
    An order locked right now (staff invoicing it, a concurrent run) is left to its holder."""
    pending = pending_orders(tenant)
    if customer is not None:
        pending = pending.filter(customer=customer)
    issued = 0
    for order_id in list(pending.order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            order = (
                pending_orders(tenant)
                .select_for_update(skip_locked=True)
                .filter(pk=order_id)
                .first()
            )
            if order is None:
                continue
            if Invoice.objects.filter(lines__order=order).exists():
                # Invoiced before orders recorded it (package purchases did): record it now.
                order.invoiced_at = timezone.now()
                order.save(update_fields=["invoiced_at"])
                continue
            try:
                with transaction.atomic():  # a savepoint: one bad order never stops the run
                    order_invoice(order=order, actor=SYSTEM, today=today)
            except (ValidationError, ArithmeticError, DatabaseError):
                logging.getLogger(__name__).exception("order %s was not invoiced", order.pk)
                continue
            issued += 1
    return issued


@transaction.atomic
def package_purchase_invoiced(
    *, customer, package, actor: User | SystemActor, today: date, confirm_forfeit: bool
) -> Invoice:
    """Buy a package and issue its invoice in one step: both happen, or neither."""

    order = package_purchase(
        customer=customer,
        package=package,
        actor=actor,
        today=today,
        confirm_forfeit=confirm_forfeit,
    )
    invoice = order_invoice(order=order, actor=actor, today=today)
    # The e-mails name the invoice and link to it: sent once both are committed.
    transaction.on_commit(lambda: send_package_purchase_emails.delay(order.pk, invoice.pk))
    return invoice
