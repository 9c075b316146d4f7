"""The structured e-invoice of a finalized invoice: UN/CEFACT CII D16B in the EN 16931 profile,
the XML that Factur-X (France) and ZUGFeRD (Germany) embed in the PDF.

Built from the invoice's frozen data alone (number, dates, currency, the seller and buyer
snapshots, the lines and the stored totals), so the XML of an invoice never changes after issue,
whatever becomes of the business or the customer. Snapshots frozen before the structured
address fields carry only printed lines; their address is rebuilt from those."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext
from lxml import etree

from billing.documents.calculations import issued_tax_by_rate, rate_tax
from billing.documents.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    Settlement,
)
from contracts.models import LEGACY_NOT_TAXABLE, SMALL_BUSINESS, VatRegime
from core.models import SmallBusinessExemption

# The EN 16931 profile of Factur-X 1.0 / ZUGFeRD 2.x (BT-24).
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
COMMERCIAL_INVOICE = "380"  # UNTDID 1001
CREDIT_NOTE = "381"
SEPA_CREDIT_TRANSFER = "58"  # UNTDID 4461
UNIT_ONE = "C62"  # UN/ECE Rec. 20: "one", the unit of every Kontor line

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


@dataclass(frozen=True)
class Profile:
    """What sets one flavour of the CII XML apart from another, built by the same builder.

    Factur-X / ZUGFeRD EN 16931 is the XML every PDF carries. XRechnung (the German CIUS of EN
    16931) restricts it further: a buyer reference on every document (BR-DE-15), payment
    instructions on every document (BR-DE-1), a rate on every VAT breakdown row (BR-DE-14,
    0 for "not subject to VAT"), a business process (BT-23) and an electronic address for
    both parties (BT-34, BT-49: the Peppol rules XRechnung 3.0 takes over)."""

    name: str
    guideline: str  # BT-24
    business_process: str = ""  # BT-23
    buyer_reference_required: bool = False  # BT-10, else the PO number stands in
    payment_means_always: bool = False
    rate_on_every_breakdown: bool = False
    buyer_electronic_address: bool = False
    # BG-13 names the buyer's address as the deliver-to place, so the delivery group is never
    # empty (PEPPOL-EN16931-R008, no empty elements, which XRechnung takes over).
    deliver_to_buyer: bool = False


FACTURX_EN16931 = Profile("factur-x", EN16931_GUIDELINE)
XRECHNUNG_GUIDELINE = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
# The Peppol billing process: the usual BT-23 of XRechnung (PEPPOL-EN16931-R001).
PEPPOL_BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
XRECHNUNG = Profile(
    "xrechnung",
    XRECHNUNG_GUIDELINE,
    business_process=PEPPOL_BILLING,
    buyer_reference_required=True,
    payment_means_always=True,
    rate_on_every_breakdown=True,
    buyer_electronic_address=True,
    deliver_to_buyer=True,
)
# UNTDID 4461 for documents that ask for no payment: a credit note credited to the customer's
# account is settled between the parties; a refund goes back the way the money came.
CLEARING_BETWEEN_PARTNERS = "97"
INSTRUMENT_NOT_DEFINED = "1"
# A German public buyer's Leitweg-ID: coarse address, optional fine address, check digits.
LEITWEG_ID = re.compile(r"^[0-9]{2,12}(-[A-Za-z0-9]{1,30})?-[0-9]{2}$")
LEITWEG_SCHEME = "0204"  # the Leitweg-ID's scheme in the CEF EAS list
EMAIL_SCHEME = "EM"


@dataclass(frozen=True)
class VatCategory:
    """An EN 16931 VAT category (UNTDID 5305) and, for the ones that charge none, why."""

    code: str
    exemption_reason: str = ""
    exemption_code: str = ""  # the CEF VATEX list

    @property
    def has_rate(self) -> bool:
        # BR-O-05 / BR-O-12: "not subject to VAT" carries no rate at all.
        return self.code != "O"


STANDARD = VatCategory("S")
ZERO_RATED = VatCategory("Z")
REVERSE_CHARGE = VatCategory(
    "AE",
    "Reverse charge: VAT to be accounted for by the recipient (Directive 2006/112/EC, art. 196)",
    "VATEX-EU-AE",
)
INTRA_COMMUNITY_SUPPLY = VatCategory("K", "Intra-Community supply", "VATEX-EU-IC")
EXPORT = VatCategory("G", "Export outside the EU", "VATEX-EU-G")
NOT_SUBJECT = VatCategory("O", "Not subject to VAT", "VATEX-EU-O")

# Each regime that charges no VAT, its category and (BR-AE-10, BR-IC-10, BR-G-10, BR-O-10) its
# exemption reason code with a default text.
_REGIME_CATEGORIES = {
    VatRegime.REVERSE_CHARGE: REVERSE_CHARGE,
    VatRegime.INTRA_EU_GOODS: INTRA_COMMUNITY_SUPPLY,
    VatRegime.EXPORT: EXPORT,
    VatRegime.OUT_OF_SCOPE: NOT_SUBJECT,
    LEGACY_NOT_TAXABLE: NOT_SUBJECT,  # invoices issued before out_of_scope had its name
}
# A small business's exemption (BR-E-10): France has its own VATEX code, Germany none (the
# text alone says it).
_SMALL_BUSINESS_CODES = {SmallBusinessExemption.FR_293B: "VATEX-FR-FRANCHISE"}
_SMALL_BUSINESS_TEXTS = {
    SmallBusinessExemption.FR_293B: "TVA non applicable, art. 293 B du CGI",
    SmallBusinessExemption.DE_19: "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.",
}
# The categories whose invoices must name no VAT identifier at all (BR-O-02).
_WITHOUT_VAT_IDS = frozenset({"O"})


def _frozen_mention(buyer: dict) -> str:
    """The regime's mention as the buyer read it, in the document's language (BT-120)."""
    mentions = buyer.get("vat_mentions") or []
    return mentions[0] if mentions else ""


def vat_category(
    regime: str, rate: Decimal, *, seller: dict | None = None, buyer: dict | None = None
) -> VatCategory:
    """The EN 16931 VAT category of a document's lines under its frozen regime. The exemption
    text is the mention the document prints where it froze one, else the code's own name."""
    seller, buyer = seller or {}, buyer or {}
    mention = _frozen_mention(buyer)
    if regime == SMALL_BUSINESS:
        exemption = seller.get("small_business_exemption") or ""
        return VatCategory(
            "E",
            mention or _SMALL_BUSINESS_TEXTS.get(exemption, "Exempt from VAT"),
            _SMALL_BUSINESS_CODES.get(exemption, ""),
        )
    if regime == VatRegime.EXEMPT:
        code = buyer.get("vat_exemption_reason") or ""
        return VatCategory("E", mention or "Exempt from VAT", code)
    category = _REGIME_CATEGORIES.get(regime)
    if category is not None:
        if mention and regime != LEGACY_NOT_TAXABLE:
            return VatCategory(category.code, mention, category.exemption_code)
        return category
    return STANDARD if rate > 0 else ZERO_RATED


@dataclass(frozen=True)
class VatBreakdown:
    """One row of BG-23: BT-116 basis, BT-117 tax, BT-119 rate, BT-118 category."""

    rate: Decimal
    basis: Decimal
    tax: Decimal
    category: VatCategory


@dataclass(frozen=True)
class VatTotals:
    breakdown: list[VatBreakdown]
    tax: Decimal  # BT-110, always the sum of the breakdown's tax (BR-CO-14)


def vat_totals(
    *,
    lines: Sequence[InvoiceLine],
    regime: str,
    currency: str,
    stored_tax: Decimal,
    seller: dict | None = None,
    buyer: dict | None = None,
) -> VatTotals:
    """The VAT breakdown by rate. EN 16931 computes each rate's tax once on its basis (BR-CO-17),
    as finalization does today. Invoices finalized before that rule summed the lines' rounded
    tax instead, and their stored tax may differ by a cent: for them the breakdown carries the
    per-line sums as issued, so the document agrees both with itself (BR-CO-14) and with the
    amount the customer was asked to pay."""
    as_issued = issued_tax_by_rate(lines)  # rate -> (basis, sum of the lines' tax)
    per_rate = {rate: rate_tax(basis, rate, currency) for rate, (basis, _tax) in as_issued.items()}
    if sum(per_rate.values(), Decimal(0)) != stored_tax:
        per_rate = {rate: tax for rate, (_basis, tax) in as_issued.items()}
    breakdown = [
        VatBreakdown(
            rate, basis, per_rate[rate], vat_category(regime, rate, seller=seller, buyer=buyer)
        )
        for rate, (basis, _tax) in as_issued.items()
    ]
    return VatTotals(breakdown, sum((row.tax for row in breakdown), Decimal(0)))


# --- building the XML ---------------------------------------------------------------------------


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrib: str):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attrib)
    if text is not None:
        element.text = text
    return element


def _date(parent: etree._Element, tag: str, day: date) -> None:
    _el(_el(parent, tag), "udt:DateTimeString", day.strftime("%Y%m%d"), format="102")


def _amount(value: Decimal) -> str:
    # BR-DEC: amounts with at most two decimals; the stored amounts already are.
    return f"{value:.2f}"


def _number(value: Decimal) -> str:
    """A quantity, price or rate without trailing zeros: 19.00 → 19, 1.5000 → 1.5."""
    return f"{value.normalize():f}"


def _address_from_lines(lines: Sequence[str]) -> dict:
    """Street lines of an address frozen as printed text (no postcode or city known apart)."""
    return {"street_lines": [line for line in lines if line][:3]}


def _country(snapshot: dict) -> str:
    """ISO 3166 code; old snapshots had none, but an EU VAT id starts with its country's."""
    country = snapshot.get("country") or ""
    if not country:
        vat_id = (snapshot.get("vat_id") or "").strip().upper()
        if len(vat_id) > 2 and vat_id[:2].isalpha():
            country = "GR" if vat_id[:2] == "EL" else vat_id[:2]
    return country


def _seller_address(seller: dict) -> dict:
    if seller.get("city") or seller.get("street_lines"):
        return seller
    return _address_from_lines((seller.get("address") or "").splitlines())


def _buyer_address(buyer: dict) -> dict:
    if buyer.get("city") or buyer.get("street_lines"):
        return buyer
    # address_lines begins with the name as printed; the rest is the address.
    printed = list(buyer.get("address_lines") or [])
    if printed and printed[0] == buyer.get("name"):
        printed = printed[1:]
    return _address_from_lines(printed)


def _postal_address(party: etree._Element, address: dict, country: str) -> None:
    postal = _el(party, "ram:PostalTradeAddress")
    if address.get("postal_code"):
        _el(postal, "ram:PostcodeCode", address["postal_code"])
    for tag, line in zip(
        ("ram:LineOne", "ram:LineTwo", "ram:LineThree"),
        address.get("street_lines") or [],
        strict=False,
    ):
        _el(postal, tag, line)
    if address.get("city"):
        _el(postal, "ram:CityName", address["city"])
    if country:
        _el(postal, "ram:CountryID", country)


def _legal_registration(snapshot: dict) -> tuple[str, str] | None:
    """BT-30 / BT-47 and its ICD scheme: the SIREN (0002) where there is one, else the
    company register number without a scheme."""
    if snapshot.get("siren"):
        return snapshot["siren"], "0002"
    number = snapshot.get("register_number") or snapshot.get("registration_number") or ""
    return (number, "") if number else None


def _trade_party(
    parent: etree._Element,
    tag: str,
    snapshot: dict,
    address: dict,
    *,
    with_vat_id: bool,
    contact: dict | None = None,
    electronic_address: tuple[str, str] | None = None,
) -> None:
    party = _el(parent, tag)
    _el(party, "ram:Name", snapshot.get("legal_name") or snapshot.get("name") or "")
    registration = _legal_registration(snapshot)
    if registration:
        number, scheme = registration
        legal = _el(party, "ram:SpecifiedLegalOrganization")
        if scheme:
            _el(legal, "ram:ID", number, schemeID=scheme)
        else:
            _el(legal, "ram:ID", number)
    if contact and any(contact.values()):
        trade_contact = _el(party, "ram:DefinedTradeContact")
        if contact.get("name"):
            _el(trade_contact, "ram:PersonName", contact["name"])
        if contact.get("phone"):
            phone = _el(trade_contact, "ram:TelephoneUniversalCommunication")
            _el(phone, "ram:CompleteNumber", contact["phone"])
        if contact.get("email"):
            email = _el(trade_contact, "ram:EmailURIUniversalCommunication")
            _el(email, "ram:URIID", contact["email"])
    _postal_address(party, address, _country(snapshot))
    if contact and contact.get("email"):
        # BT-34, the seller's electronic address (scheme EM: an e-mail address).
        uri = _el(party, "ram:URIUniversalCommunication")
        _el(uri, "ram:URIID", contact["email"], schemeID="EM")
    elif electronic_address:
        # BT-49, the buyer's electronic address: (scheme, address).
        scheme, address = electronic_address
        _el(_el(party, "ram:URIUniversalCommunication"), "ram:URIID", address, schemeID=scheme)
    if with_vat_id and snapshot.get("vat_id"):
        _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", snapshot["vat_id"], schemeID="VA")
    if tag == "ram:SellerTradeParty" and snapshot.get("tax_id"):
        # BT-32, the seller's national tax number ("FC": fiscal code).
        _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", snapshot["tax_id"], schemeID="FC")


def _trade_tax(
    parent: etree._Element,
    category: VatCategory,
    rate: Decimal,
    *,
    basis: Decimal | None = None,
    tax: Decimal | None = None,
    rate_always: bool = False,
) -> None:
    """A line's ApplicableTradeTax (rate and category) or, with basis and tax, a BG-23 row."""
    trade_tax = _el(parent, "ram:ApplicableTradeTax")
    if tax is not None:
        _el(trade_tax, "ram:CalculatedAmount", _amount(tax))
    _el(trade_tax, "ram:TypeCode", "VAT")
    if basis is not None and category.exemption_reason:
        _el(trade_tax, "ram:ExemptionReason", category.exemption_reason)
    if basis is not None:
        _el(trade_tax, "ram:BasisAmount", _amount(basis))
    _el(trade_tax, "ram:CategoryCode", category.code)
    if basis is not None and category.exemption_code:
        _el(trade_tax, "ram:ExemptionReasonCode", category.exemption_code)
    if category.has_rate or rate_always:
        _el(trade_tax, "ram:RateApplicablePercent", _number(rate))


def _service_period(line) -> tuple[date | None, date | None]:
    """BG-26: an invoice line's own service period; a credit-note line's is its invoice line's."""
    source = getattr(line, "invoice_line", line)
    return source.service_start, source.service_end


def _line_item(parent: etree._Element, index: int, line, category: VatCategory) -> None:
    item = _el(parent, "ram:IncludedSupplyChainTradeLineItem")
    _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(index))
    _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
    quantity, price = line.quantity, line.unit_price
    if price < 0:
        # BR-27: a net price is never negative; a deduction is a negative quantity instead.
        quantity, price = -quantity, -price
    agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
    _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", _number(price))
    delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
    _el(delivery, "ram:BilledQuantity", _number(quantity), unitCode=UNIT_ONE)
    settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
    _trade_tax(settlement, category, line.tax_rate)
    start, end = _service_period(line)
    if start and end:
        period = _el(settlement, "ram:BillingSpecifiedPeriod")
        _date(period, "ram:StartDateTime", start)
        _date(period, "ram:EndDateTime", end)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(line.net_amount))


def _payment_means(settlement: etree._Element, seller: dict) -> None:
    if not seller.get("iban"):
        return
    means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    _el(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER)
    account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
    _el(account, "ram:IBANID", seller["iban"].replace(" ", ""))
    if seller.get("bank_account_holder"):
        _el(account, "ram:AccountName", seller["bank_account_holder"])
    if seller.get("bic"):
        institution = _el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
        _el(institution, "ram:BICID", seller["bic"])


def _notes(document: etree._Element, buyer: dict, *extra: str) -> None:
    """BT-22: the legal mention of the VAT regime, as frozen in the buyer's language, and any
    further note (a credit note's reason, as the business wrote it)."""
    for content in (buyer.get("vat_mention") or "", *extra):
        if content:
            _el(_el(document, "ram:IncludedNote"), "ram:Content", content)


def _test_mark(doc: _Document) -> str:
    """A test account's document says so in a note (BT-22), in the buyer's language, as its PDF
    does. Not with CII's TestIndicator: the EN 16931 profile leaves it out (the Factur-X
    EN 16931 XSD refuses it; the EN 16931 CII rules warn against it, CII-SR-001)."""
    if not doc.is_test:
        return ""
    with translation.override(doc.buyer.get("language") or "en"):
        if doc.type_code == CREDIT_NOTE:
            return gettext("TEST — not a valid credit note, nothing is refunded or credited")
        return gettext("TEST — not a valid invoice, no payment due")


def _invoicing_period(lines: Sequence) -> tuple[date, date] | None:
    """BG-14: from the first line's service start to the last one's end, when every line has
    its period."""
    periods = [_service_period(line) for line in lines]
    if not periods or not all(start and end for start, end in periods):
        return None
    return min(start for start, _end in periods), max(end for _start, end in periods)


def _intra_community_delivery(
    delivery: etree._Element, buyer: dict, lines: Sequence, issue_date: date, *, ship_to: bool
) -> None:
    """BR-IC-12: the country the goods went to (the buyer's: Kontor knows no other delivery
    address); BR-IC-11: when, the invoicing period (BG-14, in the settlement) or, lines
    without a period, the issue date as the actual delivery date (BT-72)."""
    country = _country(buyer)
    if country and ship_to:  # else the profile already names the buyer's address as deliver-to
        party = _el(delivery, "ram:ShipToTradeParty")
        _el(_el(party, "ram:PostalTradeAddress"), "ram:CountryID", country)
    if _invoicing_period(lines) is None:
        event = _el(delivery, "ram:ActualDeliverySupplyChainEvent")
        _date(event, "ram:OccurrenceDateTime", issue_date)


@dataclass(frozen=True)
class _Document:
    """What the CII XML of an issued invoice or credit note is built from, all frozen at issue."""

    type_code: str  # BT-3
    number: str
    issue_date: date
    currency: str
    seller: dict
    buyer: dict
    regime: str
    lines: list
    stored_tax: Decimal
    due_date: date | None
    payment_reference: str = ""  # BT-83, with the seller's account (BG-16) for the payment
    preceding: tuple[str, date] | None = None  # BT-25 / BT-26
    note: str = ""
    profile: Profile = FACTURX_EN16931
    # BT-81 of a document that asks for no payment, where the profile wants payment means.
    settlement_means: str = ""
    buyer_email: str = ""  # BT-49 where the profile wants one and there is no Leitweg-ID
    # VAT Directive art. 230: the VAT in the seller's currency, as frozen at finalization
    # (seller["tax_currency"]): BT-6 and BT-111.
    tax_currency: dict | None = None
    is_test: bool = False  # a test account's document: not a valid invoice


def _cii_xml(doc: _Document) -> bytes:
    seller, buyer, currency, regime, lines = (
        doc.seller,
        doc.buyer,
        doc.currency,
        doc.regime,
        doc.lines,
    )
    vat = vat_totals(
        lines=lines,
        regime=regime,
        currency=currency,
        stored_tax=doc.stored_tax,
        seller=seller,
        buyer=buyer,
    )
    line_total = sum((line.net_amount for line in lines), Decimal(0))
    grand_total = line_total + vat.tax

    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    profile = doc.profile
    context = _el(root, "rsm:ExchangedDocumentContext")
    if profile.business_process:
        process = _el(context, "ram:BusinessProcessSpecifiedDocumentContextParameter")
        _el(process, "ram:ID", profile.business_process)
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", profile.guideline)

    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", doc.number)
    _el(document, "ram:TypeCode", doc.type_code)
    _date(document, "ram:IssueDateTime", doc.issue_date)
    _notes(document, buyer, _test_mark(doc), doc.note)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for index, line in enumerate(lines, start=1):
        category = vat_category(regime, line.tax_rate, seller=seller, buyer=buyer)
        _line_item(transaction, index, line, category)

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    reference = buyer_reference(buyer, profile)
    if reference:
        _el(agreement, "ram:BuyerReference", reference)
    # BR-O-02: an invoice not subject to VAT names no VAT identifier, the seller's neither.
    categories = {row.category.code for row in vat.breakdown}
    with_vat_ids = not categories & _WITHOUT_VAT_IDS
    _trade_party(
        agreement,
        "ram:SellerTradeParty",
        seller,
        _seller_address(seller),
        with_vat_id=with_vat_ids,
        contact=seller.get("contact") or {},
    )
    _trade_party(
        agreement,
        "ram:BuyerTradeParty",
        buyer,
        _buyer_address(buyer),
        with_vat_id=with_vat_ids,
        electronic_address=(
            buyer_electronic_address(buyer, doc.buyer_email)
            if profile.buyer_electronic_address
            else None
        ),
    )
    if buyer.get("po_number"):
        _el(
            _el(agreement, "ram:BuyerOrderReferencedDocument"),
            "ram:IssuerAssignedID",
            buyer["po_number"],
        )

    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    if profile.deliver_to_buyer:
        # The services are rendered to the buyer: BG-15 is the buyer's address (BT-70 to BT-80).
        ship_to = _el(delivery, "ram:ShipToTradeParty")
        _el(ship_to, "ram:Name", buyer.get("legal_name") or buyer.get("name") or "")
        _postal_address(ship_to, _buyer_address(buyer), _country(buyer))
    intra_community = INTRA_COMMUNITY_SUPPLY.code in categories
    if intra_community:
        _intra_community_delivery(
            delivery, buyer, lines, doc.issue_date, ship_to=not profile.deliver_to_buyer
        )

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    if doc.payment_reference:
        _el(settlement, "ram:PaymentReference", doc.payment_reference)
    if doc.tax_currency:
        _el(settlement, "ram:TaxCurrencyCode", doc.tax_currency["currency"])  # BT-6
    _el(settlement, "ram:InvoiceCurrencyCode", currency)
    if doc.payment_reference:
        _payment_means(settlement, seller)
    elif profile.payment_means_always and doc.settlement_means:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", doc.settlement_means)
    for row in vat.breakdown:
        _trade_tax(
            settlement,
            row.category,
            row.rate,
            basis=row.basis,
            tax=row.tax,
            rate_always=profile.rate_on_every_breakdown,
        )
    period = _invoicing_period(lines) if intra_community else None
    if period:
        billing = _el(settlement, "ram:BillingSpecifiedPeriod")  # BG-14
        _date(billing, "ram:StartDateTime", period[0])
        _date(billing, "ram:EndDateTime", period[1])
    if doc.due_date:
        terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
        days = buyer.get("payment_terms_days")
        # The buyer's terms belong to a document asking for payment, not to a credit note.
        if days is not None and doc.payment_reference:
            _el(terms, "ram:Description", f"Net {days} days")
        _date(terms, "ram:DueDateDateTime", doc.due_date)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(line_total))  # BT-106
    _el(summation, "ram:TaxBasisTotalAmount", _amount(line_total))  # BT-109: no allowances
    _el(summation, "ram:TaxTotalAmount", _amount(vat.tax), currencyID=currency)  # BT-110
    if doc.tax_currency:
        _el(  # BT-111, required with BT-6 (BR-53)
            summation,
            "ram:TaxTotalAmount",
            _amount(Decimal(doc.tax_currency["tax_amount"])),
            currencyID=doc.tax_currency["currency"],
        )
    _el(summation, "ram:GrandTotalAmount", _amount(grand_total))  # BT-112
    _el(summation, "ram:DuePayableAmount", _amount(grand_total))  # BT-115: as issued
    if doc.preceding:
        number, issued = doc.preceding
        referenced = _el(settlement, "ram:InvoiceReferencedDocument")  # BG-3
        _el(referenced, "ram:IssuerAssignedID", number)  # BT-25
        _el(
            _el(referenced, "ram:FormattedIssueDateTime"),  # BT-26
            "qdt:DateTimeString",
            issued.strftime("%Y%m%d"),
            format="102",
        )

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def buyer_reference(buyer: dict, profile: Profile = FACTURX_EN16931) -> str:
    """BT-10 as the buyer snapshot gives it: the buyer reference (a German public buyer's
    Leitweg-ID). A profile that requires one (XRechnung, BR-DE-15) takes the buyer's PO number
    when there is no other reference: it is the buyer's own identifier, which its system knows
    (for a German public buyer only the Leitweg-ID routes the invoice)."""
    reference = buyer.get("buyer_reference") or ""  # as issued: Factur-X XML never changes
    if profile.buyer_reference_required and not reference.strip():
        reference = (buyer.get("po_number") or "").strip()
    return reference


def party_addresses(seller: dict, buyer: dict) -> tuple[dict, dict]:
    """The seller's and the buyer's address as the XML gives them (street lines, postal code,
    city), from snapshots old or new."""
    return _seller_address(seller), _buyer_address(buyer)


def buyer_electronic_address(buyer: dict, email: str = "") -> tuple[str, str] | None:
    """BT-49: a Leitweg-ID routes a German public buyer's invoices; else the address the
    buyer receives invoices at (scheme EM)."""
    reference = (buyer.get("buyer_reference") or "").strip()
    if LEITWEG_ID.match(reference):
        return LEITWEG_SCHEME, reference
    return (EMAIL_SCHEME, email) if email else None


def invoice_cii_xml(
    invoice: Invoice,
    lines: Iterable[InvoiceLine] | None = None,
    *,
    profile: Profile = FACTURX_EN16931,
    buyer_email: str = "",
) -> bytes:
    """The EN 16931 CII XML of a finalized invoice (UTF-8, with its XML declaration), in the
    Factur-X profile unless another is asked for. `lines` are the invoice's lines when the
    caller holds them already."""
    if not invoice.number or invoice.issue_date is None:
        raise ValueError("only a finalized invoice has an e-invoice")
    lines = list(invoice.lines.all() if lines is None else lines)
    lines.sort(key=lambda line: (line.position, line.pk or 0))
    return _cii_xml(
        _Document(
            type_code=COMMERCIAL_INVOICE,
            number=invoice.number,
            issue_date=invoice.issue_date,
            currency=invoice.currency,
            seller=invoice.seller,
            buyer=invoice.buyer,
            regime=invoice.vat_regime or VatRegime.STANDARD,
            lines=lines,
            stored_tax=invoice.tax_amount,
            due_date=invoice.due_date,
            payment_reference=invoice.number,
            profile=profile,
            buyer_email=buyer_email,
            tax_currency=invoice.seller.get("tax_currency"),
            is_test=invoice.is_test,
        )
    )


def credit_note_cii_xml(
    note: CreditNote,
    lines: Iterable[CreditNoteLine] | None = None,
    *,
    profile: Profile = FACTURX_EN16931,
    buyer_email: str = "",
) -> bytes:
    """The EN 16931 CII XML of a credit note: type 381, its amounts positive (the type says they
    are credited), the corrected invoice referenced (BG-3), parties and VAT regime as that
    invoice's. It is settled when issued (the amount due reduced, or credited or refunded), so
    its due date (BT-9, which BR-CO-25 asks for) is its issue date; it asks for no payment."""
    invoice = note.invoice
    if lines is None:
        lines = note.lines.select_related("invoice_line")
    lines = sorted(lines, key=lambda line: line.pk or 0)
    return _cii_xml(
        _Document(
            type_code=CREDIT_NOTE,
            number=note.number,
            issue_date=note.issue_date,
            currency=note.currency,
            seller=note.seller,
            buyer=note.buyer,
            regime=invoice.vat_regime or VatRegime.STANDARD,
            lines=lines,
            stored_tax=note.tax_amount,
            due_date=note.issue_date,
            preceding=(invoice.number, invoice.issue_date),
            note=note.reason,
            is_test=invoice.is_test,
            profile=profile,
            settlement_means=(
                INSTRUMENT_NOT_DEFINED
                if note.settlement == Settlement.REFUND
                else CLEARING_BETWEEN_PARTNERS
            ),
            buyer_email=buyer_email,
        )
    )
