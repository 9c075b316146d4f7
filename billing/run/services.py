"""The billing run: every due subscription period becomes a finalized invoice.

Set-based: subscriptions are taken in batches under `FOR UPDATE SKIP LOCKED` (two runs at once
split the work instead of doubling it), each batch is one transaction that inserts its invoices,
lines, events and audit entries in bulk, takes one block of gapless numbers, and advances the
subscriptions. `UniqueConstraint(subscription, period_start)` makes a repeated or resumed run
harmless: a period already invoiced is skipped, never invoiced twice. PDFs are not rendered
here; e-mails and charges follow the invoice, not the run.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import ngettext

from billing.documents.credit_notes import apply_customer_credit
from billing.documents.finalization import (
    FROZEN_FIELDS,
    LineIn,
    buyer_snapshot,
    invoice_finalization,
    seller_snapshot,
    tax_currency_needed,
)
from billing.documents.models import CustomerCreditEntry, Invoice, InvoiceStatus
from billing.documents.numbering import invoice_series, take_numbers
from billing.documents.selectors import default_tax_rate, exchange_rate_on
from billing.documents.services import (
    email_after_commit,
    invoice_add_line,
    invoice_create_draft,
    invoice_finalize,
    pdfs_after_commit,
)
from billing.payments.checkout import invoice_pending_orders
from billing.payments.models import Gateway, PaymentSettings
from billing.payments.tasks import charge_invoices
from billing.run.bulk import bulk_set
from billing.run.insert import RUN_LABEL, insert_by_copy, insert_by_orm
from billing.run.lines import BILLED_STATUSES, advance, next_period, period_lines
from billing.run.tasks import run_billing_job
from contracts.models import Customer
from core.audit import audit_record
from core.background import job_running, job_start
from core.models import Job, JobKind, Tenant, User
from core.roles import SYSTEM, require
from subscriptions.models import (
    PendingCharge,
    Subscription,
    SubscriptionOption,
    SubscriptionStatus,
)
from subscriptions.periods import local_today, period_containing
from subscriptions.services import subscription_apply_due_change


@dataclass
class RunStats:
    invoices: int = 0
    skipped: int = 0  # periods already invoiced by an earlier (or concurrent) run
    by_tenant: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def due_subscriptions(tenant: Tenant, today: date):
    return (
        Subscription.objects.filter(
            tenant=tenant,
            next_invoice_on__lte=today,
            status__in=BILLED_STATUSES,
        )
        .filter(Q(remaining_cycles__isnull=True) | Q(remaining_cycles__gt=0))
        .filter(Q(ends_on__isnull=True) | Q(next_invoice_on__lte=F("ends_on")))
    )


def billing_run(
    *,
    today: date,
    tenant: Tenant | None = None,
    customer: Customer | None = None,
    batch_size: int = 500,
    progress=None,
) -> RunStats:
    """Invoice every due subscription period (of one business, or of one customer)."""
    stats = RunStats()
    if customer is not None:
        tenant = customer.tenant
    tenants = [tenant] if tenant else list(Tenant.objects.filter(is_active=True))
    for current in tenants:
        # Each batch takes the due subscriptions after the last one this run took, in id
        # order: a seek on the primary key, so batch 1,000 reads no more rows than batch 1
        # (from the start every time, it would step over every subscription already advanced).
        # Rows another worker held (SKIP LOCKED) and gave back, by rolling back, lie behind:
        # the run ends only when a pass from the start finds nothing due.
        after = 0
        while True:
            done, skipped, last = _run_batch(current, today, batch_size, customer, after)
            stats.invoices += done
            stats.skipped += skipped
            stats.by_tenant[current.slug] += done
            if progress:
                progress(done + skipped)
            if last is not None:
                after = last
            elif after:
                after = 0
            else:
                break
        # One-off orders with a price: each on an invoice of its own, rather than a line on the
        # customer's next subscription invoice (PendingCharge's way). A customer may have no
        # subscription to ride on, or one due months away, and a one-off purchase is owed now;
        # the order's own invoice is also the one its payment state follows.
        done = invoice_pending_orders(tenant=current, today=today, customer=customer)
        stats.invoices += done
        stats.by_tenant[current.slug] += done
    return stats


def billing_run_for_customer(*, customer: Customer, actor: User) -> int:
    """Back office: invoice what is due for one customer now, on the business's calendar day,
    instead of waiting for the hourly run. Returns how many invoices were issued."""
    require(actor, "invoices.manage", tenant=customer.tenant)
    today = local_today(timezone.now(), customer.tenant.timezone)
    issued = billing_run(today=today, customer=customer).invoices
    audit_record(
        tenant=customer.tenant,
        actor=actor,
        action="billing.run_for_customer",
        obj=customer,
        after={"date": today.isoformat(), "invoices": issued},
    )
    return issued


# A run started from the back office goes in smaller batches: its progress bar moves sooner.
JOB_BATCH = 100


def billing_run_job_start(*, tenant: Tenant, actor: User, language: str, back_url: str) -> Job:
    """Back office: queue the business's billing run for today (its calendar day) as a job
    with a progress bar, instead of waiting for the hourly run."""
    require(actor, "invoices.manage", tenant=tenant)
    today = local_today(timezone.now(), tenant.timezone)
    return job_start(
        tenant=tenant,
        kind=JobKind.BILLING_RUN,
        requested_by=actor,
        params={"day": today.isoformat(), "language": language, "back_url": back_url},
        total=due_subscriptions(tenant, today).count(),
        run=run_billing_job.delay,
    )


def billing_run_job(job_id: int) -> None:
    """The worker's part: the run of the job's business and day, its progress counted in
    subscription periods. Safe to run twice: the run itself is (see above)."""
    with job_running(job_id) as progress:
        if progress is None:
            return
        job = progress.job
        tenant = Tenant.objects.get(pk=job.tenant_id)
        today = date.fromisoformat(job.params["day"])
        progress.set_total(due_subscriptions(tenant, today).count())
        stats = billing_run(
            today=today, tenant=tenant, batch_size=JOB_BATCH, progress=progress.advance
        )
        audit_record(
            tenant=tenant,
            actor=job.requested_by or SYSTEM,
            actor_label=None if job.requested_by else RUN_LABEL,
            action="billing.run_for_business",
            obj=tenant,
            after={"date": today.isoformat(), "invoices": stats.invoices},
        )
        with translation.override(job.params.get("language") or tenant.locale):
            summary = ngettext(
                "%(count)d invoice issued.", "%(count)d invoices issued.", stats.invoices
            ) % {"count": stats.invoices}
        progress.finish(summary=summary)


def _run_batch(
    tenant: Tenant,
    today: date,
    batch_size: int,
    customer: Customer | None = None,
    after: int = 0,
) -> tuple[int, int, int | None]:
    """One batch of the due subscriptions with an id above `after`: (invoices issued,
    periods found already invoiced, the last id taken, None when none was due)."""
    with transaction.atomic():
        due = due_subscriptions(tenant, today).filter(pk__gt=after)
        if customer is not None:
            due = due.filter(customer=customer)
        subscriptions = list(
            due.select_for_update(skip_locked=True, of=("self",))
            # discount_code: its code names the discount line, no query per subscription.
            .select_related("customer", "tariff__module", "discount_code")
            .order_by("pk")[:batch_size]
        )
        if not subscriptions:
            return 0, 0, None
        last = subscriptions[-1].pk
        for subscription in subscriptions:
            # A tariff change due by today is applied first, under this batch's lock, as the
            # daily job would (which then finds it done): the period starting on the day of
            # the change is priced at the new tariff, whichever of the two runs first. Rare:
            # the check reads the row already loaded, no query for the others.
            if subscription.status == SubscriptionStatus.SCHEDULED_CHANGE:
                subscription.tenant = subscription.customer.tenant = tenant
                subscription_apply_due_change(subscription, today=today)
        ids = [s.pk for s in subscriptions]
        already = set(
            Invoice.objects.filter(subscription_id__in=ids).values_list(
                "subscription_id", "period_start"
            )
        )
        options = defaultdict(list)
        for booked in SubscriptionOption.objects.filter(subscription_id__in=ids).select_related(
            "option"
        ):
            options[booked.subscription_id].append(booked)
        charges = defaultdict(list)
        for charge in PendingCharge.objects.filter(
            subscription_id__in=ids, invoiced_at__isnull=True
        ):
            charges[charge.subscription_id].append(charge)

        rate = default_tax_rate(tenant)
        seller = seller_snapshot(tenant)
        buyers: dict[int, dict] = {}
        plans = []  # (subscription, period, lines)
        skipped = 0
        for subscription in subscriptions:
            # One tenant object for all: no query per row for what it already knows.
            subscription.tenant = subscription.customer.tenant = tenant
            period = next_period(subscription)
            if (subscription.pk, period.start) in already:
                # Invoiced by an earlier run: this one bills nothing, so no discounted period.
                advance(subscription, period.end, discounted=False)
                skipped += 1
                continue
            customer = subscription.customer
            if customer.pk not in buyers:
                buyers[customer.pk] = buyer_snapshot(customer)
            lines = period_lines(
                subscription, period, options[subscription.pk], charges[subscription.pk], rate
            )
            advance(subscription, period.end)  # after period_lines: it counts a discounted period
            plans.append((subscription, period, lines))

        bulk_set(
            Subscription,
            subscriptions,
            ["next_invoice_on", "remaining_cycles", "discount_periods_left"],
        )
        if not plans:
            return 0, skipped, last

        now = timezone.now()
        invoices, lines_of = [], []
        rates = {
            currency: exchange_rate_on(tenant=tenant, currency=currency, day=today)
            for currency in {sub.currency for sub, _period, _lines in plans}
            if currency != tenant.default_currency
        }
        for subscription, period, lines in plans:
            customer = subscription.customer
            final = invoice_finalization(
                customer=customer,
                currency=subscription.currency,
                lines=[LineIn.of(line) for line in lines],
                today=today,
                seller=seller,
                buyer=buyers[customer.pk],
                exchange_rate=rates.get(subscription.currency),
                # The run never stops for a missing rate: the period is invoiced on time and
                # the gap recorded (below) for the business to enter its rates.
                without_rate=True,
            )
            # The lines as finalized: their share of each rate's VAT, or zeroed by the regime.
            # Each has its service period already (the subscription's period, or the pending
            # charge's, which is required): no date of supply to add (finalization.supply_period).
            lines = [
                {
                    **line,
                    "tax_rate": amounts.tax_rate,
                    "net_amount": amounts.net_amount,
                    "tax_amount": amounts.tax_amount,
                    "gross_amount": amounts.gross_amount,
                }
                for line, amounts in zip(lines, final.lines, strict=True)
            ]
            invoices.append(
                Invoice(
                    tenant=tenant,
                    customer=customer,
                    currency=subscription.currency,
                    subscription=subscription,
                    period_start=period.start,
                    status=InvoiceStatus.OPEN,
                    finalized_at=now,
                    created_at=now,
                    **{name: getattr(final, name) for name in FROZEN_FIELDS},
                )
            )
            lines_of.append(lines)
        billed = {subscription.pk for subscription, _period, _lines in plans}
        PendingCharge.objects.filter(
            pk__in=[c.pk for sub_id, group in charges.items() if sub_id in billed for c in group]
        ).update(invoiced_at=now)
        drafts = invoices
        # Customer credit is rare: settle those invoices one by one, as the service does.
        with_credit = set(
            CustomerCreditEntry.objects.filter(
                customer_id__in={i.customer_id for i in drafts}
            ).values_list("customer_id", flat=True)
        )
        # Numbers last: their lock is held until this batch commits, so concurrent runs of the
        # same business wait on it for as short a time as can be.
        # Test accounts' invoices take the test series' numbers, the others the legal ones
        # (each a gapless block, in the batch's order).
        for is_test in (False, True):
            numbered = [invoice for invoice in invoices if bool(invoice.is_test) is is_test]
            if not numbered:
                continue
            series, pattern = invoice_series(tenant, is_test=is_test)
            numbers = take_numbers(
                tenant=tenant,
                series=series,
                pattern=pattern,
                issue_date=today,
                count=len(numbered),
            )
            for invoice, number in zip(numbered, numbers, strict=True):
                invoice.number = number
        if connection.vendor == "postgresql":
            insert_by_copy(tenant, today, invoices, lines_of, now)
        else:
            insert_by_orm(tenant, today, invoices, lines_of)
        for invoice in drafts:
            if invoice.customer_id in with_credit and apply_customer_credit(invoice, actor=SYSTEM):
                invoice.save(update_fields=["amount_credited", "status"])
            if "tax_currency" not in invoice.seller and tax_currency_needed(
                seller=invoice.seller,
                buyer=invoice.buyer,
                currency=invoice.currency,
                tax_amount=invoice.tax_amount,
            ):
                audit_record(
                    tenant=tenant,
                    actor=SYSTEM,
                    actor_label=RUN_LABEL,
                    action="invoice.exchange_rate_missing",
                    obj=invoice,
                    after={"currency": invoice.currency, "date": today.isoformat()},
                )
        issued = [invoice.pk for invoice in drafts]
        # PDFs are rendered by workers after commit, a batch per task: never inside the run.
        pdfs_after_commit(issued)
        email_after_commit(issued)
        if PaymentSettings.objects.filter(tenant=tenant, gateway=Gateway.STRIPE).exists():
            transaction.on_commit(lambda: charge_invoices.delay(issued))
        return len(drafts), skipped, last


def first_period_lines(subscription: Subscription, options: list, today: date) -> list[dict]:
    """The lines the run bills for the subscription's first period — for a subscription that may
    not be saved yet (a checkout's review): no query but the tax rate."""
    period = period_containing(subscription.anchor_on, subscription.interval_months, today)
    return period_lines(subscription, period, options, [], default_tax_rate(subscription.tenant))


@transaction.atomic
def subscription_invoice_first(*, subscription: Subscription, today: date, send: bool) -> Invoice:
    """Invoice a just-ordered subscription's first period now instead of at the next run, with
    the run's own lines, and move it on to its second period (the run bills from there). Under
    the subscription's row lock; (subscription, period_start) is unique, so a period is never
    invoiced twice. `send=False`: the caller e-mails it (once a card payment went through)."""
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("customer__tenant", "tariff__module", "discount_code")
        .get(pk=subscription.pk)
    )
    subscription.tenant = subscription.customer.tenant
    period = next_period(subscription)
    options = list(subscription.options.select_related("option"))
    lines = period_lines(subscription, period, options, [], default_tax_rate(subscription.tenant))
    # The order the subscription opened: its payment state follows this first invoice.
    order = subscription.orders.order_by("pk").first()
    invoice = invoice_create_draft(
        customer=subscription.customer,
        actor=SYSTEM,
        currency=subscription.currency,
        subscription=subscription,
        period_start=period.start,
    )
    for line in lines:
        invoice_add_line(
            invoice=invoice,
            description=line["description"],
            quantity=line["quantity"],
            unit_price=line["unit_price"],
            tax_rate=line["tax_rate"],
            actor=SYSTEM,
            service_start=line["service_start"],
            service_end=line["service_end"],
            subscription=subscription,
            order=order,
            option_id=line.get("option_id"),
        )
    invoice = invoice_finalize(invoice=invoice, actor=SYSTEM, today=today, send=send)
    advance(subscription, period.end)
    subscription.save(
        update_fields=["next_invoice_on", "remaining_cycles", "discount_periods_left"]
    )
    return invoice
