"""A customer's order in the portal, from review to started subscription.

`checkout_place` makes it all in one transaction: the subscription (with its options, module
data and discount), its order, and its first invoice — the run's own lines, issued at once. Then:
- a business paid by bank transfer: the subscription is active and the invoice e-mailed, done;
- a business that takes cards: the subscription waits (`pending`, never billed, never
  changeable) until its first invoice is paid by `checkout_pay` (3-D Secure included). A decline
  changes nothing: the same checkout is paid again, with the same or another card. Unpaid after
  CHECKOUT_LIFETIME, it expires: its invoice is voided (the number stays, gapless), the
  subscription ends without having started, a discount code's use is given back.
So no subscription is active without a paid or sent first invoice, and a retry never orders
twice: the review's `key` identifies the checkout, and an open checkout of the same tariff is
resumed rather than doubled (Stripe's "incomplete" subscriptions work the same way).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.documents.finalization import (
    LineIn,
    buyer_snapshot,
    invoice_finalization,
    seller_snapshot,
)
from billing.documents.invoice_state import locked_invoice
from billing.documents.models import Invoice, InvoiceStatus
from billing.documents.selectors import exchange_rate_for
from billing.documents.services import email_after_commit, invoice_void
from billing.ordering.links import payment_link_check, payment_link_tariffs
from billing.ordering.models import Checkout, CheckoutStatus, PaymentLink
from billing.payments.gateways import GatewayError, gateway_for
from billing.payments.models import AttemptStatus, PaymentAttempt, PaymentMethod
from billing.payments.services import attempt_cancel, invoice_pay
from billing.run.services import first_period_lines, subscription_invoice_first
from contracts.models import Contact, Customer, LegalDocument
from contracts.selectors import legal_documents_pending
from contracts.services import legal_accept
from core.acting import ActingRefused, acting_applies
from core.audit import audit_record
from core.models import User
from core.roles import SYSTEM, SystemActor, require
from subscriptions import periods
from subscriptions.discounts import discount_apply, discount_code_redeem, discount_code_release
from subscriptions.models import DiscountCode, Option, Subscription, SubscriptionOption, Tariff
from subscriptions.module_data import subscription_module_data_save
from subscriptions.services import (
    subscription_abandon,
    subscription_activate,
    subscription_draft,
    subscription_order,
)

logger = logging.getLogger(__name__)

# How long an unpaid checkout keeps its invoice and pending subscription (Stripe: 23 hours).
CHECKOUT_LIFETIME = timedelta(hours=24)
QUANTITY_MAX = 1000


@dataclass(frozen=True)
class Choice:
    """What the customer picked: a tariff, how many, options as (option, quantity), and a
    discount code."""

    tariff: Tariff
    quantity: int = 1
    options: tuple[tuple[Option, int], ...] = ()
    code: DiscountCode | None = None  # found by discount_code_find for this tariff


@dataclass(frozen=True)
class ReviewLine:
    """A line of the first invoice as the review shows it (net, and gross for this buyer)."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    net_amount: Decimal
    gross_amount: Decimal


@dataclass(frozen=True)
class Review:
    """What the customer agrees to: the first invoice exactly as it will be issued (the run's
    lines through finalization), and the dates the terms give."""

    choice: Choice
    currency: str
    lines: list[ReviewLine]
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal
    vat_regime: str
    starts_on: date
    renews_on: date  # the second period starts (and is billed) on this day
    minimum_term_ends: date | None  # the last day of the minimum term
    earliest_end: date  # the last day, if notice were given at once


def choice_check(*, customer: Customer, choice: Choice) -> None:
    """Is this for sale to this customer? ValidationError says what is not."""
    tariff = choice.tariff
    if customer.closed_at is not None:
        raise ValidationError(_("This customer's account is closed."), code="closed")
    if (
        tariff.tenant_id != customer.tenant_id
        or not tariff.is_active
        or not tariff.module.is_active
    ):
        raise ValidationError(_("This tariff is not on sale."), code="tariff")
    if not 1 <= choice.quantity <= QUANTITY_MAX:
        raise ValidationError(
            _("Choose a quantity between 1 and %(max)s."),
            params={"max": QUANTITY_MAX},
            code="quantity",
        )
    offered = {o.pk for o in tariff.options.all()}
    seen = set()
    for option, quantity in choice.options:
        if option.pk not in offered or option.pk in seen:
            raise ValidationError(
                _("%(option)s is not offered with %(tariff)s."),
                params={"option": option, "tariff": tariff},
                code="option",
            )
        if not 1 <= quantity <= QUANTITY_MAX:
            raise ValidationError(
                _("Choose a quantity between 1 and %(max)s."),
                params={"max": QUANTITY_MAX},
                code="quantity",
            )
        seen.add(option.pk)


def _draft(
    customer: Customer, choice: Choice, today: date
) -> tuple[Subscription, list[SubscriptionOption]]:
    """The unsaved subscription and booked options the choice would make today."""
    subscription = subscription_draft(
        customer=customer, tariff=choice.tariff, start_on=today, quantity=choice.quantity
    )
    booked = [
        SubscriptionOption(option=option, quantity=quantity, unit_price=option.unit_price)
        for option, quantity in choice.options
    ]
    if choice.code is not None:
        discount_apply(subscription, choice.code)
    return subscription, booked


def checkout_review(*, customer: Customer, choice: Choice, today: date) -> Review:
    """The review page's figures, computed by the code that will issue the invoice."""
    choice_check(customer=customer, choice=choice)
    subscription, booked = _draft(customer, choice, today)
    lines = first_period_lines(subscription, booked, today)
    final = invoice_finalization(
        customer=customer,
        currency=subscription.currency,
        lines=[LineIn.of(line) for line in lines],
        today=today,
        seller=seller_snapshot(customer.tenant),
        buyer=buyer_snapshot(customer),
        # The review shows the invoice to come; issuing it holds it to the rate, not the view.
        exchange_rate=exchange_rate_for(
            tenant=customer.tenant, currency=subscription.currency, day=today
        ),
        without_rate=True,
    )
    first = periods.period_containing(today, subscription.interval_months, today)
    minimum_end = (
        periods.add_months(today, subscription.minimum_term_months) - timedelta(days=1)
        if subscription.minimum_term_months
        else None
    )
    return Review(
        choice=choice,
        currency=subscription.currency,
        lines=[
            ReviewLine(
                li["description"],
                li["quantity"],
                li["unit_price"],
                out.net_amount,
                out.gross_amount,
            )
            for li, out in zip(lines, final.lines, strict=True)
        ],
        net_amount=final.net_amount,
        tax_amount=final.tax_amount,
        gross_amount=final.gross_amount,
        vat_regime=final.vat_regime,
        starts_on=today,
        renews_on=first.end,
        minimum_term_ends=minimum_end,
        earliest_end=periods.earliest_end(
            anchor=today,
            interval_months=subscription.interval_months,
            minimum_term_months=subscription.minimum_term_months,
            notice_days=subscription.notice_period_days,
            today=today,
        ),
    )


def _contact(actor: User, customer: Customer) -> Contact:
    contact = Contact.objects.filter(customer=customer, user=actor, is_active=True).first()
    if contact is None:
        raise PermissionDenied("not a contact of this customer")
    return contact


@transaction.atomic
def checkout_place(
    *,
    customer: Customer,
    actor: User,
    key: uuid.UUID,
    choice: Choice,
    module_data: dict,
    terms_shown: list[int],
    accepted: bool,
    today: date,
    link: PaymentLink | None = None,
) -> Checkout:
    """Place the order (see the module's docstring). `terms_shown`: the ids of the legal
    documents the review page asked to accept; they must still be the ones pending. `link`:
    the payment link it came through, whose uses it counts (checked under its row lock, so
    two buyers never both take its last use)."""
    require(actor, "subscription.order", tenant=customer.tenant, customer_id=customer.pk)
    # Staff acting for the customer (contracts.acting) order as their role allows, but never
    # accept the business's terms for them: with terms pending, the customer orders.
    staff_acting = acting_applies(actor, tenant_id=customer.tenant_id, customer_id=customer.pk)
    contact = None if staff_acting else _contact(actor, customer)
    # One checkout at a time per customer: a second post of the same form waits here, then
    # finds the first one's checkout.
    customer = Customer.objects.select_for_update().select_related("tenant").get(pk=customer.pk)
    existing = Checkout.objects.filter(key=key).first()
    if existing is not None:
        if existing.customer_id != customer.pk:  # a key is never shared: a forged form
            raise ValidationError(_("Reload the page and try again."), code="key")
        return existing
    resumed = Checkout.objects.filter(
        customer=customer, tariff=choice.tariff, status=CheckoutStatus.OPEN
    ).first()
    if resumed is not None:
        # Ordered already, not paid yet: that order is paid, never a second one beside it.
        if _same_choice(resumed, choice, link):
            return resumed
        raise ValidationError(
            _(
                "You ordered this tariff already and its payment is still open: pay that order, "
                "or wait until it lapses to order it differently."
            ),
            code="open_checkout",
        )
    choice_check(customer=customer, choice=choice)
    if link is not None:
        payment_link_check(link=link, today=today, lock=True)
        if not payment_link_tariffs(link).filter(pk=choice.tariff.pk).exists():
            raise ValidationError(_("This link does not sell this tariff."), code="link_tariff")
    pending: list[LegalDocument] = legal_documents_pending(
        tenant=customer.tenant, customer=customer
    )
    if sorted(d.pk for d in pending) != sorted(terms_shown):
        raise ValidationError(
            _("The terms were updated while you were reading. Please read them again."),
            code="terms_changed",
        )
    if pending and contact is None:
        raise ActingRefused("terms_pending")
    if pending and not accepted:
        raise ValidationError(_("Accept the terms to place the order."), code="terms")
    if pending:
        legal_accept(contact=contact, documents=pending, actor=actor)
    takes_cards = gateway_for(customer.tenant).takes_cards
    subscription = subscription_order(
        customer=customer,
        tariff=choice.tariff,
        actor=SYSTEM,  # the contact orders; starting subscriptions is the system's work
        start_on=today,
        quantity=choice.quantity,
        options=[(option, quantity, option.unit_price) for option, quantity in choice.options],
        pending=takes_cards,
    )
    if module_data:
        subscription_module_data_save(subscription=subscription, values=module_data, actor=actor)
    if choice.code is not None:
        # Counted under the code's lock, all checks again: the last use goes to one buyer.
        discount_code_redeem(subscription=subscription, code=choice.code, actor=actor, today=today)
    invoice = subscription_invoice_first(
        subscription=subscription, today=today, send=not takes_cards
    )
    terms = next((d for d in pending if d.kind == "terms"), None)
    checkout = Checkout.objects.create(
        tenant=customer.tenant,
        customer=customer,
        key=key,
        tariff=choice.tariff,
        quantity=choice.quantity,
        options=[{"option": o.pk, "quantity": q} for o, q in choice.options],
        discount_code=choice.code,
        payment_link=link,
        terms=terms,
        subscription=subscription,
        invoice=invoice,
        created_by=actor,
        expires_at=timezone.now() + CHECKOUT_LIFETIME,
    )
    audit_record(
        tenant=customer.tenant,
        actor=actor,
        action="checkout.place",
        obj=customer,
        after={
            "checkout": str(checkout.key),
            "tariff": str(choice.tariff),
            "invoice": invoice.number,
            "gross": invoice.gross_amount,
        },
    )
    if not takes_cards or invoice.amount_due <= 0:
        # Bank transfer (the invoice went out), or covered by the customer's credit.
        _complete(checkout, actor)
    return checkout


def _same_choice(checkout: Checkout, choice: Choice, link: PaymentLink | None) -> bool:
    return (
        checkout.quantity == choice.quantity
        and checkout.options == [{"option": o.pk, "quantity": q} for o, q in choice.options]
        and checkout.discount_code_id == (choice.code.pk if choice.code else None)
        and checkout.payment_link_id == (link.pk if link else None)
    )


def choice_digest(choice: Choice) -> str:
    """What the review showed, in short: placing an order checks it was this (a changed
    quantity, option or code is reviewed again before anything is ordered)."""
    parts = [
        str(choice.tariff.pk),
        str(choice.quantity),
        ",".join(f"{o.pk}x{q}" for o, q in choice.options),
        choice.code.code if choice.code else "",
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _complete(checkout: Checkout, actor: User | SystemActor) -> None:
    checkout.status = CheckoutStatus.COMPLETED
    checkout.completed_at = timezone.now()
    checkout.save(update_fields=["status", "completed_at"])
    if subscription_activate(subscription=checkout.subscription, actor=actor):
        email_after_commit([checkout.invoice_id])  # held back until it was paid


def _locked(checkout: Checkout) -> Checkout:
    return (
        Checkout.objects.select_for_update(of=("self",))
        .select_related("tenant", "subscription", "invoice")
        .get(pk=checkout.pk)
    )


def checkout_pay(*, checkout: Checkout, method: PaymentMethod, actor: User) -> PaymentAttempt:
    """Charge the checkout's first invoice with a saved card. A success starts the
    subscription; a decline leaves the checkout open, to be paid again."""
    checkout = checkout_settle(checkout=checkout, actor=actor)
    if checkout.status != CheckoutStatus.OPEN:
        raise ValidationError(_("This order is no longer awaiting payment."), code="closed")
    attempt = invoice_pay(invoice=checkout.invoice, method=method, actor=actor)
    if attempt.status == AttemptStatus.SUCCEEDED:
        checkout_settle(checkout=checkout, actor=actor)
    return attempt


@transaction.atomic
def checkout_settle(
    *, checkout: Checkout, actor: User | SystemActor, now: datetime | None = None
) -> Checkout:
    """Bring an open checkout up to date with its invoice: paid → completed (the subscription
    starts); unpaid past its expiry → expired. The page, the 3-D Secure return and the
    periodic job all call it; under the checkout's lock, it happens once."""
    checkout = _locked(checkout)
    if checkout.status != CheckoutStatus.OPEN:
        return checkout
    invoice = locked_invoice(checkout.invoice)
    checkout.invoice = invoice
    if invoice.status == InvoiceStatus.PAID or (
        invoice.status == InvoiceStatus.OPEN and invoice.amount_due <= 0
    ):
        _complete(checkout, actor)
    elif (now or timezone.now()) >= checkout.expires_at:
        _expire(checkout, invoice)
    return checkout


def _expire(checkout: Checkout, invoice: Invoice) -> None:
    waiting = (AttemptStatus.PROCESSING, AttemptStatus.REQUIRES_ACTION)
    if invoice.payment_attempts.filter(status__in=waiting).exists():
        # A charge's outcome is unknown, or 3-D Secure could still complete it: the periodic
        # job withdraws those first (checkouts_settle_due), never voids under a live charge.
        return
    if invoice.amount_paid or invoice.amount_credited:
        # Part of it was settled (customer credit): a voided invoice cannot say so. Left to
        # staff, who see the open checkout in the back office.
        logger.warning("checkout %s: partly settled, not expired", checkout.pk)
        return
    if invoice.status == InvoiceStatus.OPEN:
        invoice_void(invoice=invoice, actor=SYSTEM, reason="checkout expired without payment")
    subscription_abandon(subscription=checkout.subscription, actor=SYSTEM)
    discount_code_release(subscription=checkout.subscription, actor=SYSTEM)
    checkout.status = CheckoutStatus.EXPIRED
    checkout.save(update_fields=["status"])
    audit_record(
        tenant=checkout.tenant,
        actor=SYSTEM,
        action="checkout.expire",
        obj=checkout.customer,
        after={"checkout": str(checkout.key), "invoice": invoice.number},
        actor_label="checkout expiry",
    )


def checkouts_settle_due(*, now: datetime | None = None) -> int:
    """The periodic job: open checkouts whose invoice got paid elsewhere (a webhook after
    3-D Secure in a closed tab) or whose time ran out. A lapsed one's charges still waiting for
    3-D Secure are withdrawn at the gateway first, so none can go through after it expired.
    One transaction each; one that fails is logged and left for the next run."""
    now = now or timezone.now()
    due = Checkout.objects.filter(status=CheckoutStatus.OPEN).filter(
        Q(expires_at__lte=now)
        | Q(invoice__status=InvoiceStatus.PAID)
        | Q(invoice__amount_paid__gte=F("invoice__gross_amount") - F("invoice__amount_credited"))
    )
    done = 0
    for checkout in due.select_related("invoice").order_by("pk"):
        try:
            if checkout.expires_at <= now:
                for attempt in checkout.invoice.payment_attempts.filter(
                    status=AttemptStatus.REQUIRES_ACTION
                ):
                    attempt_cancel(attempt=attempt, actor=SYSTEM)
            settled = checkout_settle(checkout=checkout, actor=SYSTEM, now=now)
        except (GatewayError, ValidationError, DatabaseError):
            logger.exception("checkout %s was not settled", checkout.pk)
            continue
        if settled.status != CheckoutStatus.OPEN:
            done += 1
    return done
