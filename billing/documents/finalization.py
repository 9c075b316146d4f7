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

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing.documents.calculations import allocate, line_amounts, totals
from billing.documents.models import ExchangeRate
from contracts.models import SMALL_BUSINESS, Customer, VatExemptionReason, VatRegime
from core.i18n import SOURCE_LANGUAGE, require_catalogues
from core.models import SmallBusinessExemption, Tenant
from core.money import round_money

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


# The member states, by ISO 3166 code (Greece is GR here, EL only in VAT numbers).
EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()  # noqa: SIM905
)


def payment_terms_snapshot(tenant: Tenant) -> dict:
    """What the business says on its invoices about paying late or early and about the operation
    (France: Code de commerce art. L441-9 and L441-10, CGI annex II art. 242 nonies A).
    Strings only: JSON has no decimals."""
    rate = tenant.late_payment_interest_rate
    return {
        "late_payment_rate": "" if rate is None else str(rate),
        "late_payment_note": tenant.late_payment_interest_note,
        "early_payment_discount": tenant.early_payment_discount,
        "operation_category": tenant.operation_category,
        "vat_on_debits": tenant.vat_on_debits,
    }


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
        # The registered seat (§35a GmbHG: "Sitz der Gesellschaft"), printed with the register.
        "registered_office": tenant.registered_office or tenant.city,
        "currency": tenant.default_currency,
        "terms": payment_terms_snapshot(tenant),
        "contact": {
            "name": tenant.contact_name,
            "email": tenant.contact_email,
            "phone": tenant.contact_phone,
        },
        # A small business's exemption: its documents charge no VAT (see vat_mentions).
        "small_business_exemption": tenant.small_business_exemption,
        "bank_account_holder": tenant.bank_account_holder,
        "iban": tenant.iban,
        "bic": tenant.bic,
    }


# Each regime's legal mention (Directive 2006/112/EC art. 226(11), (11a)): the Directive's own
# article, for a seller whose country has no wording of its own below.
VAT_MENTIONS = {
    VatRegime.REVERSE_CHARGE: _(
        "Reverse charge: VAT to be accounted for by the recipient "
        "(Directive 2006/112/EC, art. 196)."
    ),
    VatRegime.INTRA_EU_GOODS: _(
        "Exempt intra-Community supply of goods (Directive 2006/112/EC, art. 138)."
    ),
    VatRegime.EXPORT: _("Exempt export of goods outside the EU (Directive 2006/112/EC, art. 146)."),
    VatRegime.OUT_OF_SCOPE: _(
        "Not subject to VAT in the EU: the place of supply is the customer's country "
        "(Directive 2006/112/EC, art. 44)."
    ),
}
# The exempt regime names its reason, which carries its article (VatExemptionReason).
EXEMPT_MENTION = _("Exempt from VAT under Directive 2006/112/EC: %(reason)s.")

# The wording the seller's national law asks for, where it asks for its own. One English text per
# country and regime; each language's catalogue holds that country's official wording (the
# context tells translators whose law it is).
NATIONAL_VAT_MENTIONS = {
    "FR": {
        VatRegime.REVERSE_CHARGE: pgettext_lazy(
            "VAT mention, French seller",
            "Reverse charge (article 283-2 of the French General Tax Code).",
        ),
        VatRegime.INTRA_EU_GOODS: pgettext_lazy(
            "VAT mention, French seller",
            "VAT exemption, article 262 ter I of the French General Tax Code.",
        ),
        VatRegime.EXPORT: pgettext_lazy(
            "VAT mention, French seller",
            "VAT exemption, article 262 I of the French General Tax Code.",
        ),
        VatRegime.OUT_OF_SCOPE: pgettext_lazy(
            "VAT mention, French seller",
            "VAT not applicable, article 259-1 of the French General Tax Code.",
        ),
    },
    "DE": {
        VatRegime.REVERSE_CHARGE: pgettext_lazy(
            "VAT mention, German seller",
            "Reverse charge: the recipient of the service is liable for the tax (§ 13b UStG).",
        ),
        VatRegime.INTRA_EU_GOODS: pgettext_lazy(
            "VAT mention, German seller", "Tax-exempt intra-Community supply (§ 4 no. 1b UStG)."
        ),
        VatRegime.EXPORT: pgettext_lazy(
            "VAT mention, German seller", "Tax-exempt export delivery (§ 4 no. 1a UStG)."
        ),
        VatRegime.OUT_OF_SCOPE: pgettext_lazy(
            "VAT mention, German seller",
            "Service not taxable in Germany (§ 3a (2) UStG).",
        ),
    },
    "IT": {
        VatRegime.REVERSE_CHARGE: pgettext_lazy(
            "VAT mention, Italian seller",
            "Reverse charge (articles 7-ter and 17 of Presidential Decree 633/72).",
        ),
        VatRegime.INTRA_EU_GOODS: pgettext_lazy(
            "VAT mention, Italian seller",
            "Non-taxable transaction, article 41 of Decree-Law 331/93.",
        ),
        VatRegime.EXPORT: pgettext_lazy(
            "VAT mention, Italian seller",
            "Non-taxable, article 8 of Presidential Decree 633/72.",
        ),
        VatRegime.OUT_OF_SCOPE: pgettext_lazy(
            "VAT mention, Italian seller",
            "Transaction not subject to VAT, article 7-ter of Presidential Decree 633/72.",
        ),
    },
}

# A small business's own exemption (core.models.SmallBusinessExemption), whatever its customer.
SMALL_BUSINESS_MENTIONS = {
    SmallBusinessExemption.FR_293B: pgettext_lazy(
        "VAT mention, French seller",
        "VAT not applicable, article 293 B of the French General Tax Code.",
    ),
    SmallBusinessExemption.DE_19: pgettext_lazy(
        "VAT mention, German seller",
        "No VAT is charged under § 19 UStG (small business).",
    ),
}

# Mentions printed in the seller's language too, when the document's is another: the national
# law of the seller asks for its own words (reverse charge: art. 226(11a) and e.g. § 14a UStG).
IN_SELLER_LANGUAGE_TOO = frozenset({VatRegime.REVERSE_CHARGE, SMALL_BUSINESS})

# The language of a seller's country, for the mentions its law wants in its own words.
COUNTRY_LANGUAGE = {"FR": "fr", "DE": "de", "AT": "de", "IT": "it", "TR": "tr"}


def seller_language(tenant: Tenant) -> str:
    return COUNTRY_LANGUAGE.get(tenant.country.upper(), tenant.locale)


def _in_language(message, language: str, fallback=None) -> str:
    """`message` in `language`; a national wording its catalogue lacks yields the Directive's
    (`fallback`) rather than English words on a document in another language."""
    with translation.override(language):
        text = str(message)
    if fallback is not None and language != SOURCE_LANGUAGE:
        with translation.override(SOURCE_LANGUAGE):
            if text == str(message):
                return _in_language(fallback, language)
    return text


def vat_mention(
    regime: str,
    language: str,
    *,
    seller_country: str = "",
    exemption_reason: str = "",
    small_business: str = "",
) -> str:
    """The legal mention of the VAT regime in one language ("" for standard): the seller
    country's wording where it has its own, else the Directive's."""
    if regime == SMALL_BUSINESS:
        mention = SMALL_BUSINESS_MENTIONS.get(small_business)
        return _in_language(mention, language) if mention is not None else ""
    if regime == VatRegime.EXEMPT:
        if exemption_reason not in VatExemptionReason.values:
            return ""
        with translation.override(language):
            reason = str(VatExemptionReason(exemption_reason).label)
            return str(EXEMPT_MENTION) % {"reason": reason}
    generic = VAT_MENTIONS.get(regime)
    if generic is None:
        return ""
    national = NATIONAL_VAT_MENTIONS.get(seller_country.upper(), {}).get(regime)
    if national is None:
        return _in_language(generic, language)
    return _in_language(national, language, fallback=generic)


def vat_mentions(customer: Customer, language: str) -> list[str]:
    """The mentions a document to this customer prints: in the document's language, and for
    the regimes whose national law asks for it, in the seller's language too."""
    tenant = customer.tenant
    regime = customer.document_vat_regime
    options = {
        "seller_country": tenant.country,
        "exemption_reason": customer.vat_exemption_reason,
        "small_business": tenant.small_business_exemption,
    }
    mention = vat_mention(regime, language, **options)
    if not mention:
        return []
    mentions = [mention]
    own = seller_language(tenant)
    if regime in IN_SELLER_LANGUAGE_TOO and own != language:
        in_own = vat_mention(regime, own, **options)
        if in_own not in mentions:
            mentions.append(in_own)
    return mentions


def buyer_snapshot(customer: Customer) -> dict:
    language = customer.language or customer.tenant.locale
    mentions = vat_mentions(customer, language)
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
        # A business, not a consumer: the B2B mentions (France: late-payment penalties, the
        # €40 recovery indemnity) are owed to businesses only.
        "business": bool(
            customer.billing_company or customer.vat_id or customer.siren or customer.siret
        ),
        "buyer_reference": customer.buyer_reference,
        "po_number": customer.po_number,
        "language": language,
        "payment_terms_days": customer.effective_payment_terms_days,
        "vat_regime": customer.vat_regime,
        # Frozen as printed: a list (a mention may be needed in two languages) and, for what
        # reads one text (the e-invoice's note, documents issued before the list), joined.
        "vat_mentions": mentions,
        "vat_mention": " ".join(mentions),
        "vat_exemption_reason": customer.vat_exemption_reason,
    }


def supply_period(start: date | None, end: date | None, issue_date: date) -> tuple[date, date]:
    """The date of supply or service period a line states (Germany: UStG §14(4) no. 6 asks it
    of every line). A line given none was supplied when invoiced: its period is the issue date;
    a line given one end only is supplied on that day."""
    if start is None and end is None:
        return issue_date, issue_date
    return (start or end), (end or start)  # type: ignore[return-value]


class ExchangeRateMissing(ValidationError):
    """An invoice in a foreign currency needs a rate to state its VAT in the business's own."""


def tax_currency_needed(*, seller: dict, buyer: dict, currency: str, tax_amount: Decimal) -> bool:
    """VAT Directive art. 230: an EU business invoicing VAT in a currency other than its own
    states the VAT in its own currency too. Old snapshots (no "currency") never need it; nor does
    an invoice with no VAT to state (reverse charge, exempt)."""
    own = seller.get("currency")
    return bool(
        own
        and currency != own
        and tax_amount
        and seller.get("country") in EU_COUNTRIES
        and buyer.get("country") in EU_COUNTRIES
    )


def tax_currency_snapshot(
    *, rate: ExchangeRate, tax_amount: Decimal, currency: str, own: str
) -> dict:
    """The VAT in the business's currency `own`, with the rate and its day (strings: JSON).
    The rate says how much of `currency` one unit of `own` buys, so the VAT is divided by it."""
    return {
        "currency": own,
        "tax_amount": str(round_money(tax_amount / rate.rate, own)),
        "rate": f"{rate.rate.normalize():f}",
        "rate_date": rate.day.isoformat(),
        "invoice_currency": currency,
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
    exchange_rate: ExchangeRate | None = None,
    without_rate: bool = False,
) -> Finalization:
    """The finalized amounts, parties and dates of an invoice. `seller` and `buyer` are this
    tenant's and customer's snapshots (`seller_snapshot`, `buyer_snapshot`), passed in so that a
    batch builds each once. Refuses in a process without compiled catalogues: the buyer's
    legal mention is frozen in the buyer's language.

    `exchange_rate`: the latest rate of `currency` on or before `today`, for an invoice whose VAT
    must also be stated in the business's currency (`tax_currency_needed`); it is frozen into
    the seller as "tax_currency". Without one such an invoice is refused (ExchangeRateMissing),
    unless `without_rate` (the billing run, which must not stop: it issues the invoice and
    records what is missing)."""
    require_catalogues()
    if customer.charges_vat:
        taxed = [
            LineOut(li.tax_rate, li.net_amount, li.tax_amount, li.gross_amount) for li in lines
        ]
    else:
        # Every regime but standard, and a small business's every invoice, charge no VAT.
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
    if tax_currency_needed(seller=seller, buyer=buyer, currency=currency, tax_amount=summed.tax):
        if exchange_rate is not None:
            seller = seller | {
                "tax_currency": tax_currency_snapshot(
                    rate=exchange_rate,
                    tax_amount=summed.tax,
                    currency=currency,
                    own=seller["currency"],
                )
            }
        elif not without_rate:
            raise ExchangeRateMissing(
                _(
                    "Enter an exchange rate for %(currency)s on or before %(day)s first: an "
                    "invoice in %(currency)s states its VAT in %(own)s too (VAT Directive, "
                    "art. 230)."
                ),
                params={"currency": currency, "day": today.isoformat(), "own": seller["currency"]},
                code="exchange_rate_missing",
            )
    return Finalization(
        lines=out,
        net_amount=summed.net,
        tax_amount=summed.tax,
        gross_amount=summed.gross,
        seller=seller,
        buyer=buyer,
        vat_regime=customer.document_vat_regime,
        is_test=customer.is_test_account,
        issue_date=today,
        due_date=today + timedelta(days=customer.effective_payment_terms_days),
    )
