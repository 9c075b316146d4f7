"""The customer's answer to a quote: approve (and the conversion it sets off) or decline.

Approval converts the quote in the same transaction, under the quote's row lock:
- a deposit, when the quote asks for one, becomes the first invoice; the one-off lines are then
  invoiced by staff when delivered (`quote_invoice_balance`), less the deposit;
- without a deposit, the one-off lines become one finalized invoice at once;
- every recurring line starts a subscription on its start date, at the quote's price.
Either all of it happens or none of it. A second approval (double click, two tabs, a replayed
request) waits for the lock, finds the quote converted and returns it: it converts once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import Invoice, InvoiceStatus
from contracts.models import LEGACY_NOT_TAXABLE, Contact, VatRegime
from core.audit import audit_record
from core.models import User
from core.roles import SYSTEM, SystemActor, acting_user, require
from quotes.amounts import deposit_nets
from quotes.models import Quote, QuoteEvent, QuoteLine, QuoteStatus
from quotes.selectors import current_terms
from quotes.services import locked_quote, move_quote
from quotes.tasks import store_approved_pdf
from subscriptions.models import price_item
from subscriptions.services import subscription_order

# Why a quote that is not awaiting approval cannot be approved or declined, by status.
CLOSED_BECAUSE = {
    QuoteStatus.EXPIRED: _("This quote has expired and can no longer be approved."),
    QuoteStatus.WITHDRAWN: _("This quote was withdrawn and can no longer be approved."),
    QuoteStatus.SUPERSEDED: _(
        "This quote was replaced by a revised version; please answer the new version."
    ),
    QuoteStatus.DECLINED: _("This quote was declined."),
    QuoteStatus.DRAFT: _("This quote has not been sent yet."),
    QuoteStatus.APPROVED: _("This quote was approved already."),
    QuoteStatus.CONVERTED: _("This quote was approved already."),
}


@dataclass(frozen=True)
class Approval:
    """What the approver gave and where from: recorded on the quote and its PDF."""

    accepted_terms: bool
    terms_id: int | None  # the terms version the page showed
    name: str = ""
    ip: str | None = None
    user_agent: str = ""


def _check_open(quote: Quote, today: date) -> None:
    if quote.status != QuoteStatus.SENT:
        raise ValidationError(CLOSED_BECAUSE[quote.status], code=quote.status)
    if quote.is_past_validity(today):
        raise ValidationError(CLOSED_BECAUSE[QuoteStatus.EXPIRED], code="expired")


def _require_answerer(quote: Quote, actor: User | SystemActor, action: str) -> Contact | None:
    """A contact with the right role, or the system acting for an e-mailed link (the link's
    holder; whether a link may approve is the business's choice)."""
    if actor is SYSTEM:
        return None
    require(actor, action, tenant=quote.tenant, customer_id=quote.customer_id)
    return Contact.objects.filter(customer_id=quote.customer_id, user=actor).first()


@transaction.atomic
def quote_approve(
    *, quote: Quote, actor: User | SystemActor, approval: Approval, today: date
) -> Quote:
    """Approve and convert (see the module's docstring). Returns the converted quote; the
    invoice to pay is `quote.deposit_invoice or quote.invoice`."""
    quote = locked_quote(quote)
    contact = _require_answerer(quote, actor, "quote.approve")
    if quote.status == QuoteStatus.CONVERTED:
        return quote  # approved already (another tab, a double click): converted once
    _check_open(quote, today)
    name = approval.name.strip()
    if actor is SYSTEM and not quote.tenant.quote_link_approval:
        raise ValidationError(_("Log in to approve this quote."), code="login")
    if (quote.tenant.quote_signature_required or actor is SYSTEM) and not name:
        raise ValidationError(_("Type your full name to sign the approval."), code="signature")
    # Quotes sent before out_of_scope had its name carry the old one: the same regime.
    sent_regime = (
        VatRegime.OUT_OF_SCOPE if quote.vat_regime == LEGACY_NOT_TAXABLE else quote.vat_regime
    )
    if quote.customer.document_vat_regime != sent_regime:
        # The invoice would be taxed otherwise than the quote: the business revises it first.
        raise ValidationError(
            _(
                "Your VAT treatment changed since this quote was sent, so its amounts no longer "
                "apply. Please ask us for a revised quote."
            ),
            code="vat_regime",
        )
    if not approval.accepted_terms:
        raise ValidationError(_("Accept the terms to approve the quote."), code="terms")
    terms = current_terms(quote)
    if (terms.pk if terms else None) != approval.terms_id:
        raise ValidationError(
            _("The terms were updated while you were reading. Please read them again."),
            code="terms_changed",
        )
    quote.approved_at = timezone.now()
    quote.approved_by = contact
    quote.approver_name = name[:200]
    quote.approver_ip = approval.ip
    quote.approver_user_agent = approval.user_agent[:400]
    quote.approved_terms = terms
    move_quote(
        quote,
        QuoteStatus.APPROVED,
        kind="approved",
        actor=actor,
        data={
            "name": quote.approver_name,
            "ip": approval.ip,
            "terms": terms.version if terms else "",
            "via_link": actor is SYSTEM,
        },
    )
    _convert(quote, today)
    move_quote(
        quote,
        QuoteStatus.CONVERTED,
        kind="converted",
        actor=SYSTEM,
        data={
            "invoice": quote.invoice_id,
            "deposit_invoice": quote.deposit_invoice_id,
            "subscriptions": sorted(s.pk for s in quote.subscriptions.all()),
        },
    )
    quote.save()
    quote_pk = quote.pk
    transaction.on_commit(lambda: store_approved_pdf.delay(quote_pk))
    return quote


def _convert(quote: Quote, today: date) -> None:
    lines = list(quote.lines.select_related("tariff").prefetch_related("options__option"))
    one_off = [li for li in lines if not li.is_recurring]
    # A deposit of the whole one-off total is no deposit: the one-off lines are invoiced at once.
    if quote.deposit_kind and one_off and quote.deposit_amount < quote.gross_amount:
        quote.deposit_invoice = _invoice(
            quote,
            [_deposit_line_in(quote, rate, net) for rate, net in deposit_nets(quote, one_off)],
            today,
        )
    elif one_off:
        quote.invoice = _invoice(quote, [_line_in(li) for li in one_off], today)
    for line in (li for li in lines if li.is_recurring):
        subscription = subscription_order(
            customer=quote.customer,
            tariff=line.tariff,
            actor=SYSTEM,
            start_on=max(line.start_on or today, today),
            quantity=int(line.quantity),
            # The run's lines read "<module> — <description>": the tariff's name, not the line's
            # "<module> — <tariff>" again.
            price_items=[
                price_item(
                    line.tariff.name,
                    line.unit_price,
                    {
                        language: {"description": text}
                        for language, text in line.tariff.texts_of("name").items()
                    },
                )
            ],
            options=[(o.option, o.quantity, o.unit_price) for o in line.options.all()],
        )
        quote.subscriptions.add(subscription)


@dataclass(frozen=True)
class _LineIn:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal


def _line_in(line: QuoteLine) -> _LineIn:
    return _LineIn(line.description, line.quantity, line.unit_price, line.tax_rate)


def _deposit_line_in(quote: Quote, rate: Decimal, net: Decimal) -> _LineIn:
    with _in_language(quote):
        description = gettext("Deposit on quote %(quote)s (VAT %(rate)s %%)") % {
            "quote": quote,
            "rate": rate.normalize(),
        }
    return _LineIn(description, Decimal(1), net, rate)


def _in_language(quote: Quote):
    return translation.override(quote.buyer.get("language") or quote.tenant.locale)


def _invoice(quote: Quote, lines: list[_LineIn], today: date) -> Invoice:
    invoice = invoice_create_draft(customer=quote.customer, actor=SYSTEM, currency=quote.currency)
    for line in lines:
        invoice_add_line(
            invoice=invoice,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            actor=SYSTEM,
        )
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=today, po_number=quote.po_number)


@transaction.atomic
def quote_invoice_balance(*, quote: Quote, actor: User | SystemActor, today: date) -> Invoice:
    """After a deposit: invoice the one-off lines, less the deposit (one line per VAT rate,
    naming the deposit invoice), once."""
    require(actor, "quotes.manage", tenant=quote.tenant)
    quote = locked_quote(quote)
    if quote.status != QuoteStatus.CONVERTED or quote.deposit_invoice_id is None:
        raise ValidationError(
            _("Only an approved quote with a deposit has a balance to invoice."), code="balance"
        )
    if quote.invoice_id is not None:
        raise ValidationError(_("The balance was invoiced already."), code="invoiced")
    if quote.deposit_invoice.status == InvoiceStatus.VOID:
        # Nothing was owed on it: deducting it would bill the customer less than agreed.
        raise ValidationError(
            _(
                "The deposit invoice was voided: nothing is deducted, so revise or duplicate the "
                "quote instead."
            ),
            code="deposit_void",
        )
    one_off = [li for li in quote.lines.all() if not li.is_recurring]
    deposit = quote.deposit_invoice
    deductions = []
    with _in_language(quote):
        for line in deposit.lines.all():
            deductions.append(
                _LineIn(
                    gettext("Less deposit paid with invoice %(number)s (VAT %(rate)s %%)")
                    % {"number": deposit.number, "rate": line.tax_rate.normalize()},
                    Decimal(1),
                    -line.net_amount,
                    line.tax_rate,
                )
            )
    quote.invoice = _invoice(quote, [_line_in(li) for li in one_off] + deductions, today)
    quote.save(update_fields=["invoice"])
    QuoteEvent.objects.create(
        tenant=quote.tenant,
        quote=quote,
        kind="balance_invoiced",
        from_status=quote.status,
        to_status=quote.status,
        data={"invoice": quote.invoice.number},
        actor=acting_user(actor),
    )
    audit_record(
        tenant=quote.tenant,
        actor=actor,
        action="quote.balance_invoiced",
        obj=quote,
        after={"invoice": quote.invoice.number},
    )
    return quote.invoice


@transaction.atomic
def quote_decline(
    *, quote: Quote, actor: User | SystemActor, reason: str = "", today: date
) -> Quote:
    quote = locked_quote(quote)
    _require_answerer(quote, actor, "quote.approve")
    if actor is SYSTEM and not quote.tenant.quote_link_approval:
        raise ValidationError(_("Log in to approve this quote."), code="login")
    if quote.status == QuoteStatus.DECLINED:
        return quote
    _check_open(quote, today)
    quote.declined_at = timezone.now()
    quote.decline_reason = reason.strip()[:2000]
    move_quote(
        quote,
        QuoteStatus.DECLINED,
        kind="declined",
        actor=actor,
        data={"reason": quote.decline_reason, "via_link": actor is SYSTEM},
    )
    quote.save()
    return quote
