"""Credit notes and customer credit: the only way a finalized invoice is corrected."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from billing.documents.calculations import (
    LineAmounts,
    Totals,
    allocate,
    issued_tax_by_rate,
    line_amounts,
    totals,
)
from billing.documents.invoice_state import locked_invoice, move_invoice
from billing.documents.models import (
    CreditNote,
    CreditNoteLine,
    CustomerCreditEntry,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Settlement,
)
from billing.documents.numbering import credit_note_series, take_number
from billing.documents.tasks import send_credit_note_email, store_pdfs
from contracts.models import Customer
from core.audit import audit_record
from core.models import Tenant, User
from core.money import round_money
from core.roles import SystemActor, require

CREDITABLE = (InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.UNCOLLECTIBLE)


def creditable_quantity(line: InvoiceLine) -> Decimal:
    """What of the line is not credited yet."""
    credited = CreditNoteLine.objects.filter(invoice_line=line).aggregate(q=Sum("quantity"))["q"]
    # SQLite sums decimals in floating point: bring the result back to the column's 4 places.
    return (line.quantity - Decimal(credited or 0)).quantize(Decimal("0.0001"))


def _rest_of_line(line: InvoiceLine, currency: str) -> LineAmounts:
    done = CreditNoteLine.objects.filter(invoice_line=line).aggregate(
        net=Sum("net_amount"), tax=Sum("tax_amount")
    )
    net = line.net_amount - round_money(Decimal(done["net"] or 0), currency)
    tax = line.tax_amount - round_money(Decimal(done["tax"] or 0), currency)
    return LineAmounts(net, tax, net + tax)


def _cap(value: Decimal, limit: Decimal) -> Decimal:
    """At most `limit` (toward zero for negative amounts)."""
    return min(value, limit) if limit >= 0 else max(value, limit)


def _within(part: LineAmounts, rest: LineAmounts) -> LineAmounts:
    """The part, capped at what is left of the line (toward zero for negative lines)."""
    net, tax = _cap(part.net, rest.net), _cap(part.tax, rest.tax)
    return LineAmounts(net, tax, net + tax)


def _credit_totals(invoice: Invoice, credit_lines: list[CreditNoteLine]) -> Totals:
    """The credit note's VAT per rate: the credited net times rate, rounded once (BR-CO-17), like
    the invoice's. A part of what is left at a rate never takes back more VAT than is left, and
    the credit that takes the last of a rate's net takes exactly the rest of that rate's VAT,
    so that partial credits add up to the invoice (0.475 rounds up on each of five credits of
    2.50 at 19 %, but the invoice of 12.50 charged 2.38, not 2.40)."""
    currency = invoice.currency
    charged = issued_tax_by_rate(invoice.lines.all())
    done = {
        row["tax_rate"]: (
            # SQLite sums decimals in floating point: back to the currency's minor unit.
            round_money(Decimal(row["net"] or 0), currency),
            round_money(Decimal(row["tax"] or 0), currency),
        )
        for row in CreditNoteLine.objects.filter(invoice_line__invoice=invoice)
        .order_by()
        .values("tax_rate")
        .annotate(net=Sum("net_amount"), tax=Sum("tax_amount"))
    }
    by_rate = {}
    for rate, (net, tax) in totals(credit_lines, currency=currency).tax_by_rate.items():
        charged_net, charged_tax = charged.get(rate, (Decimal(0), Decimal(0)))
        done_net, done_tax = done.get(rate, (Decimal(0), Decimal(0)))
        left_net, left_tax = charged_net - done_net, charged_tax - done_tax
        if net == left_net:
            tax = left_tax
        elif abs(net) < abs(left_net) and (net < 0) == (left_net < 0):
            tax = _cap(tax, left_tax)
        # else more net than is left, beside lines of the other sign (a discount): as rounded
        by_rate[rate] = (net, tax)
    net = sum((n for n, _t in by_rate.values()), Decimal(0))
    tax = sum((t for _n, t in by_rate.values()), Decimal(0))
    return Totals(net, tax, net + tax, by_rate)


def customer_credit_balances(tenant: Tenant) -> dict[tuple[int, str], Decimal]:
    """Every customer's credit balance of the business, by (customer id, currency)."""
    rows = (
        CustomerCreditEntry.objects.filter(tenant=tenant)
        .values_list("customer_id", "currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {
        (customer_id, currency): round_money(Decimal(total or 0), currency)
        for customer_id, currency, total in rows
    }


def customer_credit_balance(customer: Customer, currency: str) -> Decimal:
    total = CustomerCreditEntry.objects.filter(customer=customer, currency=currency).aggregate(
        s=Sum("amount")
    )["s"]
    # SQLite sums decimals in floating point: round back to the currency (exact on PostgreSQL).
    return round_money(Decimal(total or 0), currency)


def credit_note_issue(
    *,
    invoice: Invoice,
    actor: User | SystemActor,
    today: date,
    reason: str,
    quantities: dict[int, Decimal] | None = None,
) -> CreditNote:
    """Credit the whole invoice (`quantities` None) or some of its lines (line id → quantity).
    The credit first settles what is still due on the invoice; the rest becomes customer credit.
    A credit note settled as a refund is issued by `billing.payments.refunds.credit_note_refund`."""
    note, _rest = credit_note_write(
        invoice=invoice,
        actor=actor,
        today=today,
        reason=reason,
        quantities=quantities,
        settlement=Settlement.CREDIT,
    )
    return note


@transaction.atomic
def credit_note_write(
    *,
    invoice: Invoice,
    actor: User | SystemActor,
    today: date,
    reason: str,
    quantities: dict[int, Decimal] | None,
    settlement: str,
    void: bool = False,
) -> tuple[CreditNote, Decimal]:
    """Issue the credit note and settle what is due on the invoice; returns it with the rest.
    For `credit` the rest becomes customer credit; for `refund` the caller (payments, which sits
    above documents) pays it back inside this same transaction. `void`: the note cancels the
    whole invoice (`invoice_void`), which ends void rather than settled."""
    require(actor, "invoices.manage", tenant=invoice.tenant)
    invoice = locked_invoice(invoice)
    if invoice.status not in CREDITABLE:
        raise ValidationError(
            _("Only finalized invoices are corrected with credit notes."), code="not_finalized"
        )
    if not reason.strip():
        raise ValidationError(_("Say why the invoice is corrected."), code="reason")
    lines = {line.pk: line for line in invoice.lines.all()}
    wanted = quantities or {pk: creditable_quantity(line) for pk, line in lines.items()}
    credit_lines = []
    for pk, quantity in wanted.items():
        quantity = Decimal(quantity)
        if quantity == 0:
            continue
        line = lines.get(pk)
        if line is None:
            raise ValidationError(_("That line is not on this invoice."), code="line")
        if quantity < 0 or quantity > creditable_quantity(line):
            raise ValidationError(
                _("At most %(quantity)s of “%(line)s” can still be credited."),
                params={
                    "quantity": creditable_quantity(line).normalize(),
                    "line": line.description,
                },
                code="too_much",
            )
        rest = _rest_of_line(line, invoice.currency)
        if quantity == creditable_quantity(line):
            # The last of the line: credit exactly what is left of its rounded amounts, so
            # that partial credits always add up to the line (no rounding residue).
            amounts = rest
        else:
            # Each part is rounded on its own; never let the parts outgrow the line (4 × 0.005
            # is 0.02 on the invoice, but 0.01 per unit credited one by one).
            amounts = _within(
                line_amounts(
                    quantity=quantity,
                    unit_price=line.unit_price,
                    tax_rate=line.tax_rate,
                    currency=invoice.currency,
                ),
                rest,
            )
        credit_lines.append(
            CreditNoteLine(
                tenant=invoice.tenant,
                invoice_line=line,
                description=line.description,
                quantity=quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                net_amount=amounts.net,
                tax_amount=amounts.tax,
                gross_amount=amounts.gross,
            )
        )
    if not credit_lines:
        raise ValidationError(_("Nothing is left to credit on this invoice."), code="nothing")
    summed = _credit_totals(invoice, credit_lines)
    # Each line holds its share of its rate's VAT, so the note's lines add up to it.
    for credit_line, shared in zip(
        credit_lines, allocate(credit_lines, summed.tax_by_rate, invoice.currency), strict=True
    ):
        credit_line.tax_amount, credit_line.gross_amount = shared.tax, shared.gross
    series, pattern = credit_note_series(invoice)
    note = CreditNote.objects.create(
        tenant=invoice.tenant,
        customer=invoice.customer,
        invoice=invoice,
        number=take_number(tenant=invoice.tenant, series=series, pattern=pattern, issue_date=today),
        issue_date=today,
        currency=invoice.currency,
        reason=reason.strip(),
        settlement=settlement,
        seller=invoice.seller,
        buyer=invoice.buyer,
        net_amount=summed.net,
        tax_amount=summed.tax,
        gross_amount=summed.gross,
    )
    for credit_line in credit_lines:
        credit_line.credit_note = note
    CreditNoteLine.objects.bulk_create(credit_lines)
    # What is still due on it (open or uncollectible) is settled first; a paid one has none.
    settles = (
        min(summed.gross, invoice.amount_due)
        if invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE)
        else Decimal(0)
    )
    if void:  # the note cancels the invoice, whatever was due on it (a zero invoice too)
        invoice.amount_credited += settles
        move_invoice(
            invoice,
            InvoiceStatus.VOID,
            kind="voided",
            actor=actor,
            data={"reason": note.reason, "credit_note": note.number},
        )
        invoice.save(update_fields=["amount_credited", "status"])
    elif settles:
        invoice.amount_credited += settles
        if invoice.amount_due == 0:
            move_invoice(
                invoice,
                InvoiceStatus.PAID,
                kind="settled_by_credit_note",
                actor=actor,
                data={"credit_note": note.number},
            )
        invoice.save(update_fields=["amount_credited", "status"])
    rest = summed.gross - settles
    if rest and settlement == Settlement.CREDIT:
        CustomerCreditEntry.objects.create(
            tenant=invoice.tenant,
            customer=invoice.customer,
            currency=invoice.currency,
            amount=rest,
            credit_note=note,
        )
    note_id = note.pk
    transaction.on_commit(lambda: send_credit_note_email.delay(note_id))
    audit_record(
        tenant=invoice.tenant,
        actor=actor,
        action="credit_note.issue",
        obj=note,
        after={
            "invoice": invoice.number,
            "gross": summed.gross,
            "settled": settles,
            "rest": rest,
            "settlement": settlement,
        },
    )
    # Stored as issued by a worker once committed, like invoices (billing.documents.services).
    transaction.on_commit(lambda: store_pdfs.delay(credit_note_ids=[note.pk]))
    return note, rest


def credit_to_use(*, available: Decimal, amount_due: Decimal) -> Decimal:
    """How much of a credit balance a just-finalized invoice takes: all it asks for, at most
    what there is, never a negative amount (no query: the billing schedule forecasts with it)."""
    return max(min(available, amount_due), Decimal(0))


def apply_customer_credit(invoice: Invoice, *, actor: User | SystemActor) -> Decimal:
    """Use the customer's credit on a just-finalized invoice — never more than it asks for.
    Runs inside `invoice_finalize`'s transaction; the customer row lock serializes it."""
    Customer.objects.select_for_update().filter(pk=invoice.customer_id).exists()
    used = credit_to_use(
        available=customer_credit_balance(invoice.customer, invoice.currency),
        amount_due=invoice.amount_due,
    )
    if not used:
        return Decimal(0)
    CustomerCreditEntry.objects.create(
        tenant=invoice.tenant,
        customer=invoice.customer,
        currency=invoice.currency,
        amount=-used,
        invoice=invoice,
    )
    invoice.amount_credited += used
    if invoice.amount_due == 0:
        move_invoice(
            invoice,
            InvoiceStatus.PAID,
            kind="settled_by_credit",
            actor=actor,
            data={"credit": used},
        )
    else:
        audit_record(
            tenant=invoice.tenant,
            actor=actor,
            action="invoice.partly_settled_by_credit",
            obj=invoice,
            after={"credit": used, "due": invoice.amount_due},
        )
    return used
