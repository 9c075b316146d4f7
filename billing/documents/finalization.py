"""Finalizing an invoice, the one rule both ways of issuing one follow: `invoice_finalize` (one
draft, by staff or a purchase) and the billing run's batch writer (thousands at a time, COPY).

`invoice_finalization` is pure: from the lines' amounts, the customer and the day it gives the
amounts under the customer's VAT regime, the totals (VAT per rate, rounded once: BR-CO-17, see
calculations), each line's share of its rate's VAT, the frozen seller and buyer and the dates.
The callers persist it, each in its own way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from billing.documents.calculations import allocate, line_amounts, totals
from contracts.models import Customer, VatRegime
from core.i18n import require_catalogues
from core.models import Tenant

# The registrations both parties carry (core.models.LegalIdentity), under the same keys.
IDENTITY_KEYS = (
    "legal_form",
    "siren",
    "siret",
    "rcs_city",
    "register_court",
    "register_number",
    "rea_number",
    "tax_office",
    "tax_id",
)


def legal_name_with_form(name: str, legal_form: str) -> str:
    """ "Globex" + "SAS" → "Globex SAS"; a name that already ends with its form stays as it is."""
    if not legal_form or name.casefold().endswith(legal_form.casefold()):
        return name
    return f"{name} {legal_form}"


def seller_snapshot(tenant: Tenant) -> dict:
    """The business as its documents name it, frozen. "name" and "address" (one text) are what
    documents finalized before the structured fields carry, and renderers still fall back to."""
    name = tenant.legal_name or tenant.name
    return {
        "name": name,
        "legal_name": legal_name_with_form(name, tenant.legal_form),
        "address": "\n".join(tenant.address_lines),
        "street_lines": [line for line in (tenant.address_line_1, tenant.address_line_2) if line],
        "postal_code": tenant.postal_code,
        "city": tenant.city,
        "country": tenant.country,
        "vat_id": tenant.vat_id,
        **{key: getattr(tenant, key) for key in IDENTITY_KEYS},
        "registration_number": tenant.registration_number,
        # A string, like every amount in the snapshots: JSON has no decimals.
        "share_capital": "" if tenant.share_capital is None else str(tenant.share_capital),
        "share_capital_currency": tenant.share_capital_currency or tenant.default_currency,
        "managing_directors": tenant.managing_directors,
        "contact": {
            "name": tenant.contact_name,
            "email": tenant.contact_email,
            "phone": tenant.contact_phone,
        },
        "bank_account_holder": tenant.bank_account_holder,
        "iban": tenant.iban,
        "bic": tenant.bic,
    }


VAT_MENTIONS = {
    VatRegime.REVERSE_CHARGE: _(
        "Reverse charge: VAT to be accounted for by the recipient "
        "(Directive 2006/112/EC, art. 196)."
    ),
    VatRegime.NOT_TAXABLE: _("Not taxable: no VAT charged."),
}


def vat_mention(regime: str, language: str) -> str:
    """The legal mention of the VAT regime, in the document's language ("" for standard)."""
    mention = VAT_MENTIONS.get(regime)
    if mention is None:
        return ""
    with translation.override(language):
        return str(mention)


def buyer_snapshot(customer: Customer) -> dict:
    language = customer.language or customer.tenant.locale
    return {
        "name": customer.billing_company or customer.name,
        "number": customer.number,
        # The name and address as printed, one line each (what every renderer reads).
        "address_lines": customer.billing_address_lines,
        "street_lines": [
            line for line in (customer.billing_street, customer.billing_street_2) if line
        ],
        "postal_code": customer.billing_postal_code,
        "city": customer.billing_city,
        "country": customer.billing_country,
        "vat_id": customer.vat_id,
        **{key: getattr(customer, key) for key in IDENTITY_KEYS},
        "buyer_reference": customer.buyer_reference,
        "po_number": customer.po_number,
        "language": language,
        "payment_terms_days": customer.effective_payment_terms_days,
        "vat_regime": customer.vat_regime,
        "vat_mention": vat_mention(customer.vat_regime, language),
    }


@dataclass(frozen=True)
class LineIn:
    """What finalization needs of a line (a draft's InvoiceLine or the run's line dict)."""

    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal

    @classmethod
    def of(cls, line: dict) -> LineIn:
        """From the billing run's line dict (the run and the checkout's review build those)."""
        return cls(
            line["quantity"],
            line["unit_price"],
            line["tax_rate"],
            line["net_amount"],
            line["tax_amount"],
            line["gross_amount"],
        )


@dataclass(frozen=True)
class LineOut:
    tax_rate: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal


@dataclass(frozen=True)
class Finalization:
    lines: list[LineOut]  # in the order given
    net_amount: Decimal
    tax_amount: Decimal
    gross_amount: Decimal
    seller: dict
    buyer: dict
    vat_regime: str
    is_test: bool
    issue_date: date
    due_date: date


# What finalization sets on the invoice row, by the same name on Finalization.
FROZEN_FIELDS = (
    "net_amount",
    "tax_amount",
    "gross_amount",
    "seller",
    "buyer",
    "vat_regime",
    "is_test",
    "issue_date",
    "due_date",
)


def invoice_finalization(
    *,
    customer: Customer,
    currency: str,
    lines: Sequence[LineIn],
    today: date,
    seller: dict,
    buyer: dict,
) -> Finalization:
    """The finalized amounts, parties and dates of an invoice. `seller` and `buyer` are this
    tenant's and customer's snapshots (`seller_snapshot`, `buyer_snapshot`), passed in so that a
    batch builds each once. Refuses in a process without compiled catalogues: the buyer's
    legal mention is frozen in the buyer's language."""
    require_catalogues()
    if customer.vat_regime == VatRegime.STANDARD:
        taxed = [
            LineOut(li.tax_rate, li.net_amount, li.tax_amount, li.gross_amount) for li in lines
        ]
    else:
        # Reverse charge and non-taxable customers are invoiced without VAT.
        taxed = [
            LineOut(
                Decimal(0),
                line_amounts(
                    quantity=li.quantity,
                    unit_price=li.unit_price,
                    tax_rate=Decimal(0),
                    currency=currency,
                ).net,
                Decimal(0),
                Decimal(0),
            )
            for li in lines
        ]
    # VAT per rate, rounded once (BR-CO-17); each line holds its share, so lines add up.
    summed = totals(taxed, currency=currency)
    out = [
        LineOut(li.tax_rate, shared.net, shared.tax, shared.gross)
        for li, shared in zip(taxed, allocate(taxed, summed.tax_by_rate, currency), strict=True)
    ]
    return Finalization(
        lines=out,
        net_amount=summed.net,
        tax_amount=summed.tax,
        gross_amount=summed.gross,
        seller=seller,
        buyer=buyer,
        vat_regime=customer.vat_regime,
        is_test=customer.is_test_account,
        issue_date=today,
        due_date=today + timedelta(days=customer.effective_payment_terms_days),
    )
