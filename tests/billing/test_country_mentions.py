"""What each document must say by country (issue 13): the French B2B payment mentions, a date of
supply on every line and the registered office (Germany), dates in each language's own style,
and the VAT of a foreign-currency invoice in the business's currency (VAT Directive art. 230)."""

from datetime import date
from decimal import Decimal

import facturx
import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation
from lxml import etree

from billing.documents.credit_notes import credit_note_issue
from billing.documents.einvoice import invoice_cii_xml
from billing.documents.pdf import (
    render_credit_note_pdf,
    render_invoice_html,
    render_invoice_pdf,
)
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import ExchangeRate, Invoice, InvoiceLine, TaxRate
from billing.run import services as billing
from core.models import AuditEntry
from core.roles import SYSTEM
from quotes.lifecycle import quote_send
from quotes.services import quote_add_line, quote_create_draft
from subscriptions.models import PendingCharge
from subscriptions.services import subscription_order
from tests.factories import TariffFactory
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db

ISSUED = date(2026, 11, 29)


def text_of(invoice: Invoice) -> str:
    return " ".join(pdf_text(render_invoice_pdf(invoice)).split())


def french_seller(world, **terms):
    tenant = world.globex
    tenant.legal_name, tenant.legal_form, tenant.country = "Globex", "SAS", "FR"
    tenant.city, tenant.vat_id, tenant.siren = "Paris", "FR40303265045", "303265045"
    for name, value in terms.items():
        setattr(tenant, name, value)
    tenant.save()
    TaxRate.objects.create(tenant=tenant, name="Normal", rate=Decimal("20"), is_default=True)
    return tenant


def issued(customer, *lines, currency=None, actor=SYSTEM, today=ISSUED) -> Invoice:
    invoice = invoice_create_draft(customer=customer, actor=SYSTEM, currency=currency)
    for line in lines or ({"description": "Consulting", "unit_price": Decimal("100")},):
        invoice_add_line(invoice=invoice, actor=SYSTEM, **line)
    return invoice_finalize(invoice=invoice, actor=actor, today=today, send=False)


def business_buyer(customer, **fields):
    values = {
        "billing_company": "Charlie SA",
        "billing_country": "FR",
        "siren": "404833048",
        "language": "en",  # English labels here; the lead translates
        **fields,
    }
    for name, value in values.items():
        setattr(customer, name, value)
    customer.save()
    return customer


# --- France -----------------------------------------------------------------------------------


def test_a_french_sellers_invoice_to_a_business_states_every_b2b_mention(world):
    french_seller(
        world,
        late_payment_interest_rate=Decimal("12.15"),
        operation_category="services",
        vat_on_debits=True,
    )
    invoice = issued(business_buyer(world.charlie_co))
    assert invoice.seller["terms"]["late_payment_rate"] == "12.15"
    assert invoice.buyer["business"] is True
    text = text_of(invoice)
    for needed in (
        "Late-payment interest: 12.15 % per year.",
        "Fixed indemnity for recovery costs in case of late payment: €40 "
        "(French Commercial Code, art. L441-10).",
        "No discount for early payment.",
        "Operation category: supply of services.",
        "VAT option: the tax is paid on debits.",
        "SIREN 404833048",  # the buyer's
    ):
        assert needed in text, needed


def test_without_a_rate_or_discount_terms_the_legal_rate_and_the_terms_given_are_printed(world):
    french_seller(
        world,
        early_payment_discount="2 % for payment within 8 days",
        operation_category="both",
    )
    text = text_of(issued(business_buyer(world.charlie_co)))
    assert (
        "Late-payment interest: the European Central Bank's latest refinancing rate plus 10 "
        "percentage points." in text
    )
    assert "Early-payment discount: 2 % for payment within 8 days" in text
    assert "No discount for early payment" not in text
    assert "Operation category: supply of goods and services." in text
    assert "debits" not in text


def test_a_french_sellers_invoice_to_a_consumer_has_no_b2b_mentions(world):
    french_seller(world, late_payment_interest_rate=Decimal("12.15"))
    consumer = world.charlie_co
    consumer.language, consumer.billing_country = "en", "FR"
    consumer.save()
    invoice = issued(consumer)
    assert invoice.buyer["business"] is False
    text = text_of(invoice)
    assert "€40" not in text and "Operation category" not in text


def test_other_sellers_print_the_late_payment_and_discount_terms_only_when_set(world):
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal("19"), is_default=True)
    world.acme.country = "DE"
    world.acme.save()
    alpha = business_buyer(world.alpha, billing_country="DE", siren="")
    plain = text_of(issued(alpha))
    assert "Late-payment" not in plain and "discount" not in plain and "€40" not in plain

    world.acme.late_payment_interest_rate = Decimal("9.00")
    world.acme.late_payment_interest_note = "9 points above the base rate, § 288 BGB"
    world.acme.save()
    text = text_of(issued(alpha))
    assert "Late-payment interest: 9 % per year (9 points above the base rate, § 288 BGB)." in text
    assert "€40" not in text and "No discount" not in text


# --- Germany ----------------------------------------------------------------------------------


def german_seller(world, **fields):
    tenant = world.acme
    tenant.legal_name, tenant.legal_form, tenant.country = "Acme Software", "GmbH", "DE"
    tenant.city, tenant.vat_id = "Berlin", "DE136695976"
    tenant.register_court, tenant.register_number = "Amtsgericht Charlottenburg", "HRB 123456 B"
    tenant.managing_directors = "Erika Mustermann"
    for name, value in fields.items():
        setattr(tenant, name, value)
    tenant.save()
    TaxRate.objects.create(tenant=tenant, name="Standard", rate=Decimal("19"), is_default=True)
    return tenant


def test_every_line_states_its_date_of_supply_one_off_lines_included(world):
    german_seller(world)
    invoice = issued(
        business_buyer(world.alpha, billing_country="DE", siren=""),
        {"description": "Setup", "unit_price": Decimal("100")},
        {
            "description": "Helpdesk",
            "unit_price": Decimal("49"),
            "service_start": date(2026, 11, 1),
            "service_end": date(2026, 11, 30),
        },
        {
            "description": "Training day",
            "unit_price": Decimal("500"),
            "service_start": date(2026, 11, 20),
        },
    )
    periods = [(line.service_start, line.service_end) for line in invoice.lines.all()]
    assert periods == [
        (ISSUED, ISSUED),  # no period given: supplied when invoiced
        (date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 11, 20), date(2026, 11, 20)),
    ]
    html = render_invoice_html(invoice, list(invoice.lines.all()))
    assert "<th>Date of supply / service period</th>" in html
    assert "<td>01/11/2026 – 30/11/2026</td>" in html
    text = text_of(invoice)  # the narrow column wraps the period's end onto a line of its own
    assert "Setup 29/11/2026" in text and "Training day 20/11/2026" in text
    assert "Helpdesk 01/11/2026 –" in text and "30/11/2026" in text
    xml = etree.fromstring(invoice_cii_xml(invoice))
    starts = xml.findall(".//{*}BillingSpecifiedPeriod/{*}StartDateTime/{*}DateTimeString")
    assert [s.text for s in starts] == ["20261129", "20261101", "20261120"]  # BG-26 per line


def test_a_credit_note_states_the_date_of_supply_of_each_line_it_credits(world):
    german_seller(world)
    invoice = issued(world.alpha, {"description": "Setup", "unit_price": Decimal("100")})
    note = credit_note_issue(invoice=invoice, actor=SYSTEM, today=ISSUED, reason="Cancelled")
    text = " ".join(pdf_text(render_credit_note_pdf(note)).split())
    # The narrow column wraps its header: its words come back apart.
    assert all(word in text for word in ("Date of", "supply / service", "period"))
    assert "Setup 29/11/2026" in text


def test_the_billing_runs_lines_all_carry_their_period(world):
    german_seller(world)
    tariff = TariffFactory(module__tenant=world.acme, module__name="Helpdesk", price="49.00")
    sub = subscription_order(
        customer=world.alpha, tariff=tariff, actor=SYSTEM, start_on=date(2026, 11, 1)
    )
    PendingCharge.objects.create(
        tenant=world.acme,
        subscription=sub,
        description="Setup",
        amount=Decimal("100"),
        currency="EUR",
        service_start=date(2026, 11, 1),
        service_end=date(2026, 11, 1),
    )
    billing.billing_run(today=date(2026, 11, 2), tenant=world.acme)
    invoice = Invoice.objects.get(subscription=sub)
    assert all(line.service_start and line.service_end for line in invoice.lines.all())
    html = render_invoice_html(invoice, list(invoice.lines.all()))
    assert "<td>01/11/2026</td>" in html  # the setup, one day
    assert "<td>01/11/2026 – 30/11/2026</td>" in html  # the month


def test_a_company_with_a_register_court_names_its_registered_office(world):
    german_seller(world)
    invoice = issued(world.alpha)
    html = render_invoice_html(invoice, list(invoice.lines.all()))
    assert "Commercial register: Amtsgericht Charlottenburg, HRB 123456 B<br>" in html
    assert "Registered office: Berlin<br>" in html
    assert "Managing directors: Erika Mustermann<br>" in html
    assert "Registered office: Berlin" in text_of(invoice)

    world.acme.registered_office = "Potsdam"  # the seat as registered, not the office's city
    world.acme.save()
    assert "Registered office: Potsdam" in text_of(issued(world.alpha))


def test_without_a_register_court_no_registered_office_is_printed(world):
    german_seller(world, register_court="", register_number="")
    assert "Registered office" not in text_of(issued(world.alpha))


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "document", "compact"),
    [
        ("en", "29 Nov 2026", "29/11/2026"),
        ("fr", "29 novembre 2026", "29/11/2026"),  # CLDR long: core/formats
        ("de", "29.11.2026", "29.11.2026"),
        ("it", "29 nov 2026", "29/11/2026"),  # Italian months in lower case
        ("tr", "29 Kas 2026", "29.11.2026"),
    ],
)
def test_documents_date_the_way_their_language_does(language, document, compact):
    template = Template(
        '{% load kontor %}{{ day|document_date }}|{{ day|document_date:"compact" }}|'
        "{{ iso|document_date }}|{{ nothing|document_date }}"
    )
    with translation.override(language):
        rendered = template.render(Context({"day": ISSUED, "iso": "2026-11-29", "nothing": None}))
    assert rendered == f"{document}|{compact}|{document}|"


def test_an_italian_invoice_has_its_months_in_lower_case(world):
    german_seller(world)
    world.alpha.language = "it"
    world.alpha.save()
    html = render_invoice_html(invoice := issued(world.alpha), list(invoice.lines.all()))
    assert "29 nov 2026" in html and "Nov" not in html


# --- art. 230: VAT in the business's currency ---------------------------------------------------


def dollar_invoice(world, actor=SYSTEM) -> Invoice:
    return issued(
        business_buyer(world.alpha, billing_country="DE", siren=""),
        {"description": "Workshop", "unit_price": Decimal("1200")},
        currency="USD",
        actor=actor,
    )


def test_a_foreign_currency_invoice_states_its_vat_in_the_business_currency(world):
    german_seller(world)
    ExchangeRate.objects.create(
        tenant=world.acme, currency="USD", day=date(2026, 11, 20), rate=Decimal("1.1")
    )
    ExchangeRate.objects.create(
        tenant=world.acme, currency="USD", day=date(2026, 11, 27), rate=Decimal("1.0512")
    )
    ExchangeRate.objects.create(
        tenant=world.acme, currency="USD", day=date(2026, 11, 30), rate=Decimal("2")
    )
    invoice = dollar_invoice(world)
    # 19 % of $1,200 = $228.00; at 1 EUR = 1.0512 USD (the latest rate on or before the issue
    # date) that is €216.89.
    assert invoice.tax_amount == Decimal("228.00")
    assert invoice.seller["tax_currency"] == {
        "currency": "EUR",
        "tax_amount": "216.89",
        "rate": "1.0512",
        "rate_date": "2026-11-27",
        "invoice_currency": "USD",
    }
    assert "VAT in EUR: €216.89 (exchange rate 1 EUR = 1.0512 USD of 27 Nov 2026)" in text_of(
        invoice
    )
    xml = invoice_cii_xml(invoice)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    root = etree.fromstring(xml)
    assert root.findtext(".//{*}ApplicableHeaderTradeSettlement/{*}TaxCurrencyCode") == "EUR"
    totals = root.findall(".//{*}SpecifiedTradeSettlementHeaderMonetarySummation/{*}TaxTotalAmount")
    assert [(t.get("currencyID"), t.text) for t in totals] == [("USD", "228.00"), ("EUR", "216.89")]


def test_an_invoice_in_the_business_currency_or_without_vat_needs_no_rate(world):
    german_seller(world)
    invoice = issued(business_buyer(world.alpha, billing_country="DE", siren=""))
    assert "tax_currency" not in invoice.seller
    assert b"TaxCurrencyCode" not in invoice_cii_xml(invoice)
    world.alpha.vat_regime, world.alpha.vat_id = "reverse_charge", "FR40303265045"
    world.alpha.save()
    reverse = dollar_invoice(world)  # no VAT to state, so no rate needed
    assert reverse.tax_amount == 0 and "tax_currency" not in reverse.seller


def test_staff_are_told_to_enter_a_rate_before_finalizing(world):
    german_seller(world)
    with pytest.raises(ValidationError) as refused:
        dollar_invoice(world, actor=world.staff["acme", "billing"])
    assert "exchange rate for USD" in " ".join(refused.value.messages)
    assert not Invoice.objects.exclude(number="").exists()


def test_kontor_itself_issues_without_a_rate_and_records_the_gap(world):
    german_seller(world)
    invoice = dollar_invoice(world)  # a purchase or an approved quote: SYSTEM
    assert invoice.number and "tax_currency" not in invoice.seller
    entry = AuditEntry.objects.get(action="invoice.exchange_rate_missing")
    assert entry.object_id == str(invoice.pk) and entry.after["currency"] == "USD"


def test_the_billing_run_freezes_the_rate_or_records_that_it_was_missing(world):
    german_seller(world)
    business_buyer(world.alpha, billing_country="DE", siren="")
    tariff = TariffFactory(
        module__tenant=world.acme, module__name="Helpdesk", price="100.00", currency="USD"
    )
    sub = subscription_order(
        customer=world.alpha, tariff=tariff, actor=SYSTEM, start_on=date(2026, 10, 1)
    )
    billing.billing_run(today=date(2026, 10, 1), tenant=world.acme)  # no rate yet
    first = Invoice.objects.get(subscription=sub)
    assert first.currency == "USD" and "tax_currency" not in first.seller
    assert AuditEntry.objects.filter(
        action="invoice.exchange_rate_missing", object_id=str(first.pk)
    ).exists()

    ExchangeRate.objects.create(
        tenant=world.acme, currency="USD", day=date(2026, 10, 30), rate=Decimal("1.25")
    )
    billing.billing_run(today=date(2026, 11, 1), tenant=world.acme)
    second = Invoice.objects.filter(subscription=sub).latest("period_start")
    assert second.seller["tax_currency"]["tax_amount"] == "15.20"  # $19.00 / 1.25


# --- documents issued before ------------------------------------------------------------------


def test_an_invoice_issued_before_prints_nothing_new(world):
    german_seller(world, late_payment_interest_rate=Decimal("12.15"))
    old = Invoice(
        tenant=world.acme,
        customer=world.alpha,
        number="INV-2025-000001",
        currency="USD",
        status="open",
        issue_date=date(2025, 3, 1),
        due_date=date(2025, 3, 15),
        seller={
            "name": "Acme GmbH",
            "address": "Hauptstraße 1\n10115 Berlin",
            "vat_id": "DE136695976",
            "register_court": "Amtsgericht Charlottenburg",
            "city": "Berlin",
            "country": "FR",
        },
        buyer={"name": "Alpha Corp", "address_lines": ["Alpha Corp"], "payment_terms_days": 14},
        net_amount=Decimal("100"),
        tax_amount=Decimal("19"),
        gross_amount=Decimal("119"),
    )
    line = InvoiceLine(
        tenant=world.acme,
        invoice=old,
        description="Setup",
        unit_price=Decimal("100"),
        tax_rate=Decimal("19"),
        net_amount=Decimal("100"),
        tax_amount=Decimal("19"),
        gross_amount=Decimal("119"),
        service_start=date(2025, 3, 1),
        service_end=date(2025, 3, 1),
    )
    html = render_invoice_html(old, [line])
    assert "Service period" in html and "Date of supply" not in html
    assert "01/03/2025 – 01/03/2025" in html  # both ends, as it printed then
    for absent in ("Registered office", "Late-payment", "€40", "VAT in EUR", "escompte"):
        assert absent not in html, absent


def test_the_invoice_page_shows_the_terms_and_the_vat_in_the_business_currency(world):
    german_seller(world, late_payment_interest_rate=Decimal("9.00"))
    ExchangeRate.objects.create(
        tenant=world.acme, currency="USD", day=date(2026, 11, 27), rate=Decimal("1.0512")
    )
    invoice = dollar_invoice(world)
    page = world.client(world.alice).get(f"/invoices/{invoice.pk}/").content.decode()
    assert "Late-payment interest: 9 % per year." in page
    assert "VAT in EUR: €216.89 (exchange rate 1 EUR = 1.0512 USD of 27 Nov 2026)" in page
    assert "Registered office: Berlin" in page
    assert ">29/11/2026</td>" in page  # the workshop's date of supply


def test_a_foreign_currency_quote_states_its_vat_in_the_business_currency_when_it_can(world):
    # A quote (like the checkout's review) shows the invoice to come: it is sent without a rate,
    # and states the VAT in euros when one is known; the invoice itself is held to the rate.
    german_seller(world)
    business_buyer(world.alpha, billing_country="DE", siren="")
    today = date(2026, 11, 28)

    def sent():
        quote = quote_create_draft(customer=world.alpha, actor=SYSTEM, today=today, currency="USD")
        quote_add_line(
            quote=quote, description="Workshop", unit_price=Decimal("1200"), actor=SYSTEM
        )
        return quote_send(quote=quote, actor=SYSTEM, today=today)

    without = sent()
    assert without.number and without.tax_amount == Decimal("228.00")
    assert "tax_currency" not in without.seller
    ExchangeRate.objects.create(
        tenant=world.acme, currency="USD", day=date(2026, 11, 27), rate=Decimal("1.0512")
    )
    assert sent().seller["tax_currency"]["tax_amount"] == "216.89"


def test_a_round_exchange_rate_prints_as_a_plain_number(world):
    german_seller(world)
    ExchangeRate.objects.create(
        tenant=world.acme, currency="USD", day=date(2026, 11, 27), rate=Decimal("100.000000")
    )
    assert dollar_invoice(world).seller["tax_currency"]["rate"] == "100"  # not 1E+2
