"""The demo's customers who owe money, so that reminders, dunning and the back office's "dunning
recoveries" chart have something to show: two overdue invoices, one at its first reminder after
the due date and one at a later reminder; a renewal whose saved card was declined, its retry
scheduled; and one whose card was declined too but which the customer then paid by bank
transfer (the case closed as recovered).

Everything goes through the services that do it for real — finalizing, the payment reminders
job on the days its steps fell due, the dunning that a declined renewal charge opens, recording
a payment — on the demo's calendar. Only the card's answer is made up: no gateway is called
while seeding (acme takes bank transfers here; `make run` points it at a local fake Stripe
afterwards, which the retries then ask).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from billing.collections.reminders import invoice_reminders_send
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import Invoice
from billing.payments.dunning import dunning_open
from billing.payments.gateways import ChargeOutcome
from billing.payments.models import (
    AttemptStatus,
    DunningCase,
    Gateway,
    PaymentAttempt,
    PaymentMethod,
)
from billing.payments.services import attempt_settle, invoice_mark_paid, next_attempt_number
from contracts.models import Customer
from core.models import Tenant
from core.roles import SYSTEM


@dataclass(frozen=True, order=True)
class OverdueInvoice:
    issue_date: date
    customer_number: str
    description: str
    amount: Decimal


# Customer number -> one-off work invoiced and not paid, and how many days past its due date it
# is today: 5 days is past the first reminder after the due date (acme reminds 3 days before,
# then 3 and 10 days after), 12 days past the second.
OVERDUE = {
    "C-1002": ("Data migration from the old helpdesk", "480.00", 5),
    "C-1003": ("On-site training day", "950.00", 12),
}

# Customer number -> (the saved card's last four digits, paid by bank transfer after the card
# was declined and the customer was told). The renewal the billing run issued today was
# charged to that card and declined.
DECLINED_RENEWALS = {
    "C-1002": ("9995", True),  # recovered
    "C-1003": ("0341", False),  # waiting for its first retry, tomorrow
}
DECLINED = "Your card was declined."


def overdue_invoices(tenant: Tenant, today: date) -> list[OverdueInvoice]:
    """The overdue one-off invoices of the demo, dated so that each is as late today as
    OVERDUE says, by its customer's payment terms; in the order they were issued (seed_invoices
    finalizes each on its day, between the billing runs, so numbers follow the dates)."""
    customers = Customer.objects.filter(tenant=tenant, number__in=OVERDUE).select_related("tenant")
    return sorted(
        OverdueInvoice(
            issue_date=today
            - timedelta(days=OVERDUE[c.number][2] + c.effective_payment_terms_days),
            customer_number=c.number,
            description=OVERDUE[c.number][0],
            amount=Decimal(OVERDUE[c.number][1]),
        )
        for c in customers
    )


def overdue_invoice_issue(tenant: Tenant, overdue: OverdueInvoice) -> Invoice:
    customer = Customer.objects.get(tenant=tenant, number=overdue.customer_number)
    invoice = invoice_create_draft(customer=customer, actor=SYSTEM)
    invoice_add_line(
        invoice=invoice, description=overdue.description, unit_price=overdue.amount, actor=SYSTEM
    )
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=overdue.issue_date)


def seed_dunning(tenant: Tenant, today: date) -> None:
    """Reminders for the overdue invoices, sent on the days they fell due, then the declined
    renewals (after seed_invoices). Once: a business with dunning cases has its story."""
    if DunningCase.objects.filter(tenant=tenant).exists():
        return
    _remind_on_their_days(tenant, today)
    customers = Customer.objects.filter(tenant=tenant, number__in=DECLINED_RENEWALS)
    for customer in customers.order_by("number"):
        last4, paid_by_transfer = DECLINED_RENEWALS[customer.number]
        renewal = (
            Invoice.objects.filter(customer=customer, status="open", subscription__isnull=False)
            .select_related("tenant", "customer")
            .order_by("-issue_date", "-id")
            .first()
        )
        if renewal is None:
            continue
        card = PaymentMethod.objects.create(
            tenant=tenant,
            customer=customer,
            gateway=Gateway.STRIPE,
            token=f"pm_demo_declined_{last4}",
            brand="visa",
            last4=last4,
            exp_month=12,
            exp_year=today.year + 2,
            is_default=True,
        )
        attempt = _declined_charge(renewal, card)
        dunning_open(invoice=renewal, attempt=attempt)
        if paid_by_transfer:
            invoice_mark_paid(
                invoice=renewal,
                actor=SYSTEM,
                amount=renewal.amount_due,
                received_on=today,
                reference=f"Transfer {renewal.number}",
            )


def _remind_on_their_days(tenant: Tenant, today: date) -> None:
    """The payment reminders job, run on each day one of the overdue invoices had a step due,
    up to today: each invoice has the reminders it would have had."""
    steps = sorted(set(tenant.reminder_days or []))
    numbers = [o.customer_number for o in overdue_invoices(tenant, today)]
    invoices = Invoice.objects.filter(
        tenant=tenant, status="open", subscription__isnull=True, customer__number__in=numbers
    )
    days = sorted(
        {
            invoice.due_date + timedelta(days=step)
            for invoice in invoices
            for step in steps
            if invoice.issue_date <= invoice.due_date + timedelta(days=step) <= today
        }
    )
    for day in days:
        invoice_reminders_send(tenant=tenant, today=day)


def _declined_charge(invoice: Invoice, card: PaymentMethod) -> PaymentAttempt:
    """The renewal charge as invoice_autocharge opens it (off-session, the whole amount due),
    settled by the payment service with the answer the card's bank gave: declined."""
    attempt = PaymentAttempt.objects.create(
        tenant=invoice.tenant,
        customer=invoice.customer,
        invoice=invoice,
        number=next_attempt_number(invoice),
        payment_method=card,
        amount=invoice.amount_due,
        currency=invoice.currency,
        off_session=True,
        charging_since=timezone.now(),
    )
    return attempt_settle(
        attempt=attempt,
        outcome=ChargeOutcome(
            AttemptStatus.FAILED,
            intent_id=f"pi_demo_{invoice.number}",
            failure_message=DECLINED,
        ),
        actor=SYSTEM,
    )
