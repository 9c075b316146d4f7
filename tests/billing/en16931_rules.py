"""The EN 16931 business rules that matter to Kontor's CII XML, and XRechnung's BR-DE rules, as
plain Python over lxml XPath.

No packaged copy of the official validation artefacts (the CEN schematron compiled to XSLT 2,
KoSIT's XRechnung schematron) can be installed from PyPI, and running them needs an XSLT 2
processor. These checks follow the official rule texts of the CEN EN 16931 CII binding
(validation 1.3.x) and the KoSIT XRechnung 3.0 schematron, for the parts of the model Kontor
fills; amounts are compared exactly (Kontor rounds once, half-up), where the schematron allows a
cent of slack. `violations(xml)` lists the broken rules as "RULE-ID: what"; empty means valid."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from billing.documents.einvoice import NS

ROOT = "/rsm:CrossIndustryInvoice"
TRANSACTION = ROOT + "/rsm:SupplyChainTradeTransaction"
AGREEMENT = TRANSACTION + "/ram:ApplicableHeaderTradeAgreement"
SELLER = AGREEMENT + "/ram:SellerTradeParty"
BUYER = AGREEMENT + "/ram:BuyerTradeParty"
SETTLEMENT = TRANSACTION + "/ram:ApplicableHeaderTradeSettlement"
SUMMATION = SETTLEMENT + "/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
BREAKDOWN = SETTLEMENT + "/ram:ApplicableTradeTax"
LINES = TRANSACTION + "/ram:IncludedSupplyChainTradeLineItem"
LINE_TAX = "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"
LINE_NET = (
    "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/"
    "ram:LineTotalAmount"
)

XRECHNUNG_30 = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
CATEGORIES = ("S", "Z", "E", "AE", "K", "G", "O", "L", "M")
# Categories that charge no VAT and carry a 0 rate (BR-x-05..07, BR-x-09) and need a reason
# for the exemption (BR-x-10).
ZERO_RATED_EXEMPT = ("E", "AE", "K", "G")
TWO = Decimal("0.01")


def _text(node, path: str) -> str:
    found = node.xpath(path, namespaces=NS)
    if not found:
        return ""
    first = found[0]
    return (first if isinstance(first, str) else first.text or "").strip()


def _decimal(node, path: str) -> Decimal | None:
    text = _text(node, path)
    return Decimal(text) if text else None


def _decimals(node, path: str) -> list[Decimal]:
    return [Decimal(n.text) for n in node.xpath(path, namespaces=NS)]


def _exists(node, path: str) -> bool:
    return bool(node.xpath(path, namespaces=NS))


def _vat_ids(root, party: str, schemes=("VA",)) -> list[str]:
    return [
        n.text
        for n in root.xpath(party + "/ram:SpecifiedTaxRegistration/ram:ID", namespaces=NS)
        if n.get("schemeID") in schemes and (n.text or "").strip()
    ]


def en16931_violations(root) -> list[str]:
    found: list[str] = []

    def rule(rule_id: str, holds: bool, what: str) -> None:
        if not holds:
            found.append(f"{rule_id}: {what}")

    currency = _text(root, SETTLEMENT + "/ram:InvoiceCurrencyCode")
    # The core fields (BR-01 to BR-16)
    required = {
        "BR-01": ROOT
        + "/rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
        "BR-02": ROOT + "/rsm:ExchangedDocument/ram:ID",
        "BR-03": ROOT
        + "/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString[@format='102']",
        "BR-04": ROOT + "/rsm:ExchangedDocument/ram:TypeCode",
        "BR-05": SETTLEMENT + "/ram:InvoiceCurrencyCode",
        "BR-06": SELLER + "/ram:Name",
        "BR-07": BUYER + "/ram:Name",
        "BR-09": SELLER + "/ram:PostalTradeAddress/ram:CountryID",
        "BR-11": BUYER + "/ram:PostalTradeAddress/ram:CountryID",
        "BR-12": SUMMATION + "/ram:LineTotalAmount",
        "BR-13": SUMMATION + "/ram:TaxBasisTotalAmount",
        "BR-14": SUMMATION + "/ram:GrandTotalAmount",
        "BR-15": SUMMATION + "/ram:DuePayableAmount",
    }
    for rule_id, path in required.items():
        rule(rule_id, bool(_text(root, path)), f"{path.rsplit('/', 1)[-1]} is missing")
    rule("BR-08", _exists(root, SELLER + "/ram:PostalTradeAddress"), "no seller address")
    rule("BR-10", _exists(root, BUYER + "/ram:PostalTradeAddress"), "no buyer address")
    lines = root.xpath(LINES, namespaces=NS)
    rule("BR-16", len(lines) >= 1, "an invoice has at least one line")

    # Lines (BR-21 to BR-27)
    for index, line in enumerate(lines, start=1):
        rule(
            "BR-21",
            bool(_text(line, "ram:AssociatedDocumentLineDocument/ram:LineID")),
            f"line {index} has no id",
        )
        quantity = line.xpath("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", namespaces=NS)
        rule("BR-22", bool(quantity and quantity[0].text), f"line {index} has no quantity")
        rule("BR-23", bool(quantity and quantity[0].get("unitCode")), f"line {index} has no unit")
        rule("BR-24", _decimal(line, LINE_NET) is not None, f"line {index} has no net amount")
        rule(
            "BR-25",
            bool(_text(line, "ram:SpecifiedTradeProduct/ram:Name")),
            f"line {index} has no name",
        )
        price = _decimal(
            line, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount"
        )
        rule("BR-26", price is not None, f"line {index} has no net price")
        rule("BR-27", price is None or price >= 0, f"line {index} has a negative net price")
        tax = line.xpath(LINE_TAX, namespaces=NS)
        rule(
            "BR-CO-04",
            bool(tax and _text(tax[0], "ram:CategoryCode")),
            f"line {index} has no VAT category",
        )

    # Totals (BR-CO-10 to BR-CO-16)
    line_total = _decimal(root, SUMMATION + "/ram:LineTotalAmount") or Decimal(0)
    allowances = _decimal(root, SUMMATION + "/ram:AllowanceTotalAmount") or Decimal(0)
    charges = _decimal(root, SUMMATION + "/ram:ChargeTotalAmount") or Decimal(0)
    basis_total = _decimal(root, SUMMATION + "/ram:TaxBasisTotalAmount") or Decimal(0)
    tax_totals = _decimals(root, SUMMATION + f"/ram:TaxTotalAmount[@currencyID='{currency}']")
    tax_total = tax_totals[0] if tax_totals else Decimal(0)
    grand_total = _decimal(root, SUMMATION + "/ram:GrandTotalAmount") or Decimal(0)
    prepaid = _decimal(root, SUMMATION + "/ram:TotalPrepaidAmount") or Decimal(0)
    rounding = _decimal(root, SUMMATION + "/ram:RoundingAmount") or Decimal(0)
    due = _decimal(root, SUMMATION + "/ram:DuePayableAmount") or Decimal(0)
    line_nets = [_decimal(line, LINE_NET) or Decimal(0) for line in lines]
    rule("BR-CO-10", sum(line_nets, Decimal(0)) == line_total, "BT-106 is not the sum of line nets")
    rule(
        "BR-CO-13",
        basis_total == line_total - allowances + charges,
        "BT-109 ≠ BT-106 − BT-107 + BT-108",
    )
    rule(
        "BR-CO-14",
        len(tax_totals) == 1
        and tax_total == sum(_decimals(root, BREAKDOWN + "/ram:CalculatedAmount"), Decimal(0)),
        "BT-110 is not the sum of the breakdown's BT-117",
    )
    rule("BR-CO-15", grand_total == basis_total + tax_total, "BT-112 ≠ BT-109 + BT-110")
    rule("BR-CO-16", due == grand_total - prepaid + rounding, "BT-115 ≠ BT-112 − BT-113 + BT-114")
    if due > 0:
        rule(
            "BR-CO-25",
            _exists(root, SETTLEMENT + "/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime")
            or _exists(root, SETTLEMENT + "/ram:SpecifiedTradePaymentTerms/ram:Description"),
            "an amount due needs a due date or payment terms",
        )

    # The VAT breakdown (BR-45 to BR-48, BR-CO-17) and each category's rules
    rows = root.xpath(BREAKDOWN, namespaces=NS)
    rule("BR-CO-18", len(rows) >= 1, "no VAT breakdown")
    line_categories = [_text(line, LINE_TAX + "/ram:CategoryCode") for line in lines]
    seller_vat = _vat_ids(root, SELLER)
    seller_tax = _vat_ids(root, SELLER, ("VA", "FC"))
    buyer_vat = _vat_ids(root, BUYER)
    buyer_legal = _exists(root, BUYER + "/ram:SpecifiedLegalOrganization/ram:ID")
    for row in rows:
        code = _text(row, "ram:CategoryCode")
        rate = _decimal(row, "ram:RateApplicablePercent")
        basis = _decimal(row, "ram:BasisAmount")
        tax = _decimal(row, "ram:CalculatedAmount")
        rule("BR-45", basis is not None, f"{code} breakdown has no basis")
        rule("BR-46", tax is not None, f"{code} breakdown has no tax amount")
        rule("BR-47", code in CATEGORIES, f"unknown VAT category {code!r}")
        rule("BR-48", rate is not None or code == "O", f"{code} breakdown has no rate")
        if rate is not None and basis is not None and tax is not None and code not in ("O",):
            expected = (basis * rate / 100).quantize(TWO, rounding=ROUND_HALF_UP)
            rule("BR-CO-17", tax == expected, f"{code} {rate} %: {tax} ≠ {basis} × rate, rounded")
        category_lines = [
            (line, net)
            for line, net, line_code in zip(lines, line_nets, line_categories, strict=True)
            if line_code == code
            and (code != "S" or _decimal(line, LINE_TAX + "/ram:RateApplicablePercent") == rate)
        ]
        prefix = "BR-IC" if code == "K" else f"BR-{code}"
        rule(
            f"{prefix}-08",
            basis == sum((net for _line, net in category_lines), Decimal(0)),
            f"{code} basis ≠ its lines' nets",
        )
        reason = _exists(row, "ram:ExemptionReason") or _exists(row, "ram:ExemptionReasonCode")
        if code in ("S", "Z"):
            rule(f"{prefix}-10", not reason, f"{code} breakdown carries an exemption reason")
        else:
            rule(f"{prefix}-10", reason, f"{code} breakdown needs an exemption reason")
        if code in ("Z", *ZERO_RATED_EXEMPT, "O"):
            rule(f"{prefix}-09", tax == 0, f"{code} breakdown charges VAT")
        if code in ("Z", *ZERO_RATED_EXEMPT):
            rule(f"{prefix}-07", rate == 0, f"{code} breakdown rate is not 0")
        if code == "S":
            rule("BR-S-07", rate is not None and rate > 0, "S breakdown rate is not above 0")

    codes = set(line_categories)
    breakdown_codes = [_text(row, "ram:CategoryCode") for row in rows]
    for code in CATEGORIES:
        prefix = "BR-IC" if code == "K" else f"BR-{code}"
        in_lines = code in codes
        in_breakdown = breakdown_codes.count(code)
        if code == "S":
            rule("BR-S-01", not in_lines or in_breakdown >= 1, "S lines without an S breakdown")
        else:
            rule(
                f"{prefix}-01",
                in_breakdown == (1 if in_lines else 0),
                f"{code}: lines and breakdown disagree",
            )
        if not in_lines:
            continue
        for line, line_code in zip(lines, line_categories, strict=True):
            if line_code != code:
                continue
            line_rate = _decimal(line, LINE_TAX + "/ram:RateApplicablePercent")
            if code == "S":
                rule(
                    "BR-S-05", line_rate is not None and line_rate > 0, "S line rate is not above 0"
                )
            elif code == "O":
                rule("BR-O-05", line_rate is None, "an O line carries a rate")
            elif code in ("Z", *ZERO_RATED_EXEMPT):
                rule(f"{prefix}-05", line_rate == 0, f"{code} line rate is not 0")
        # Who must be identified (BR-x-02)
        if code in ("S", "Z", "E"):
            rule(f"{prefix}-02", bool(seller_tax), "the seller's VAT id or tax number is missing")
        elif code == "AE":
            rule(
                "BR-AE-02",
                bool(seller_tax) and (bool(buyer_vat) or buyer_legal),
                "reverse charge needs both parties identified",
            )
        elif code == "K":
            rule(
                "BR-IC-02",
                bool(seller_vat) and bool(buyer_vat),
                "intra-EU supply needs both VAT ids",
            )
            rule(
                "BR-IC-11",
                _exists(
                    root,
                    TRANSACTION
                    + "/ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent",
                )
                or _exists(root, SETTLEMENT + "/ram:BillingSpecifiedPeriod")
                or all(
                    _exists(line, "ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod")
                    for line in lines
                ),
                "intra-EU supply needs a delivery date or an invoicing period",
            )
            rule(
                "BR-IC-12",
                _exists(
                    root,
                    TRANSACTION
                    + "/ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty"
                    + "/ram:PostalTradeAddress/ram:CountryID",
                ),
                "intra-EU supply needs the deliver-to country",
            )
        elif code == "G":
            rule("BR-G-02", bool(seller_vat), "export needs the seller's VAT id")
        elif code == "O":
            rule("BR-O-02", not seller_vat and not buyer_vat, "not subject to VAT: no VAT ids")
            rule("BR-O-11", set(breakdown_codes) == {"O"}, "not subject to VAT: no other category")
            rule("BR-O-12", codes == {"O"}, "not subject to VAT: every line is O")
    return found


IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Za-z0-9]{0,30}$")
EMAIL = re.compile(r"^[^@\s]{1,}@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9]{2,}$")


def _iban_valid(iban: str) -> bool:
    iban = iban.replace(" ", "")
    if not IBAN.match(iban):
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def xrechnung_violations(root) -> list[str]:
    """KoSIT's XRechnung 3.0 rules (BR-DE-*) and the Peppol rules it takes over."""
    found: list[str] = []

    def rule(rule_id: str, holds: bool, what: str) -> None:
        if not holds:
            found.append(f"{rule_id}: {what}")

    context = ROOT + "/rsm:ExchangedDocumentContext"
    rule(
        "BR-DE-21",
        _text(root, context + "/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID")
        == XRECHNUNG_30,
        "BT-24 is not XRechnung 3.0",
    )
    rule(
        "PEPPOL-EN16931-R001",
        bool(_text(root, context + "/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID")),
        "no business process (BT-23)",
    )
    means = root.xpath(SETTLEMENT + "/ram:SpecifiedTradeSettlementPaymentMeans", namespaces=NS)
    rule("BR-DE-1", bool(means), "no payment instructions (BG-16)")
    for mean in means:
        code = _text(mean, "ram:TypeCode")
        if code in ("30", "58"):
            rule(
                "BR-DE-23-a",
                _exists(mean, "ram:PayeePartyCreditorFinancialAccount"),
                "credit transfer without the account (BG-17)",
            )
        if code == "58":
            rule(
                "BR-DE-19",
                _iban_valid(_text(mean, "ram:PayeePartyCreditorFinancialAccount/ram:IBANID")),
                "BT-84 is not a valid IBAN",
            )
    contact = root.xpath(SELLER + "/ram:DefinedTradeContact", namespaces=NS)
    rule("BR-DE-2", bool(contact), "no seller contact (BG-6)")
    if contact:
        phone = _text(contact[0], "ram:TelephoneUniversalCommunication/ram:CompleteNumber")
        email = _text(contact[0], "ram:EmailURIUniversalCommunication/ram:URIID")
        rule(
            "BR-DE-5",
            bool(_text(contact[0], "ram:PersonName") or _text(contact[0], "ram:DepartmentName")),
            "no seller contact point (BT-41)",
        )
        rule("BR-DE-6", bool(phone), "no seller contact phone (BT-42)")
        rule("BR-DE-7", bool(email), "no seller contact e-mail (BT-43)")
        rule("BR-DE-27", len(re.findall(r"[0-9]", phone)) >= 3, "BT-42 has fewer than three digits")
        rule("BR-DE-28", bool(EMAIL.match(email)), "BT-43 is not an e-mail address")
    address = SELLER + "/ram:PostalTradeAddress"
    rule("BR-DE-3", bool(_text(root, address + "/ram:CityName")), "no seller city (BT-37)")
    rule("BR-DE-4", bool(_text(root, address + "/ram:PostcodeCode")), "no seller postcode (BT-38)")
    address = BUYER + "/ram:PostalTradeAddress"
    rule("BR-DE-8", bool(_text(root, address + "/ram:CityName")), "no buyer city (BT-52)")
    rule("BR-DE-9", bool(_text(root, address + "/ram:PostcodeCode")), "no buyer postcode (BT-53)")
    for row in root.xpath(BREAKDOWN, namespaces=NS):
        rule(
            "BR-DE-14",
            bool(_text(row, "ram:RateApplicablePercent")),
            "a VAT breakdown without its rate (BT-119)",
        )
    rule(
        "BR-DE-15",
        bool(_text(root, AGREEMENT + "/ram:BuyerReference")),
        "no buyer reference (BT-10)",
    )
    codes = set(
        _text(line, LINE_TAX + "/ram:CategoryCode") for line in root.xpath(LINES, namespaces=NS)
    )
    if codes & {"S", "Z", "E", "AE", "K", "G", "L", "M"}:
        rule(
            "BR-DE-16",
            bool(_vat_ids(root, SELLER, ("VA", "VAT", "FC"))),
            "no seller VAT id or tax number",
        )
    rule(
        "BR-DE-17",
        _text(root, ROOT + "/rsm:ExchangedDocument/ram:TypeCode")
        in ("326", "380", "384", "389", "381", "875", "876", "877"),
        "document type outside XRechnung's list",
    )
    terms = root.xpath(SETTLEMENT + "/ram:SpecifiedTradePaymentTerms", namespaces=NS)
    rule(
        "BR-DE-18-a",
        all(len(t.xpath("ram:Description", namespaces=NS)) < 2 for t in terms),
        "BT-20 more than once",
    )
    for term in terms:
        for line in _text(term, "ram:Description").splitlines():
            if line.strip().startswith("#"):
                rule(
                    "BR-DE-18",
                    bool(
                        re.match(
                            r"^#(SKONTO|VERZUG)#TAGE=[0-9]+#PROZENT=[0-9]+\.[0-9]{2}(#BASISBETRAG=-?[0-9]+\.[0-9]{2})?#$",
                            line.strip(),
                        )
                    ),
                    "malformed Skonto line",
                )
    for index, line in enumerate(root.xpath(LINES, namespaces=NS), start=1):
        quantity = _decimal(line, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity") or 0
        price = _decimal(
            line, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount"
        )
        base = _decimal(
            line, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity"
        )
        net = _decimal(line, LINE_NET) or 0
        expected = quantity * (price or 0) / (base or 1)
        rule(
            "PEPPOL-EN16931-R120",
            abs(net - expected) <= Decimal("0.02"),
            f"line {index}: net ≠ qty × price",
        )
    empty = root.xpath("//*[not(*) and not(normalize-space())]")
    rule("PEPPOL-EN16931-R008", not empty, f"empty elements: {[e.tag for e in empty]}")
    ship_to = TRANSACTION + "/ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty"
    if _exists(root, ship_to):
        address = ship_to + "/ram:PostalTradeAddress"
        rule("BR-DE-10", bool(_text(root, address + "/ram:CityName")), "no deliver-to city (BT-77)")
        rule("BR-DE-11", bool(_text(root, address + "/ram:PostcodeCode")), "no deliver-to postcode")
    rule(
        "PEPPOL-EN16931-R010",
        bool(_text(root, BUYER + "/ram:URIUniversalCommunication/ram:URIID")),
        "no buyer electronic address (BT-49)",
    )
    rule(
        "PEPPOL-EN16931-R020",
        bool(_text(root, SELLER + "/ram:URIUniversalCommunication/ram:URIID")),
        "no seller electronic address (BT-34)",
    )
    return found


def violations(xml: bytes, *, xrechnung: bool = False) -> list[str]:
    root = etree.fromstring(xml).getroottree().getroot()
    found = en16931_violations(root)
    if xrechnung:
        found += xrechnung_violations(root)
    return found
