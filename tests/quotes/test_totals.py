"""A quote's amounts are what billing will charge: its one-off total is what an invoice of the
same lines comes to, and a recurring line is what the billing run invoices for the
subscription's first period — under the standard VAT regime and under reverse charge."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import Invoice, TaxRate
from billing.run.services import billing_run
from core.roles import SYSTEM
from quotes.approval import quote_approve
from quotes.lifecycle import quote_send
from quotes.services import OptionIn, quote_add_line, quote_add_recurring, quote_create_draft
from tests.factories import CustomerFactory, OptionFactory, TariffFactory, TenantFactory
from tests.quotes.helpers import approval

TODAY = date(2026, 3, 10)
RATES = [Decimal(r) for r in ("0", "5.5", "7", "10", "19", "20")]
REGIMES = ["standard", "reverse_charge"]

one_off_lines = st.lists(
    st.tuples(
        st.decimals("0.0001", "500", places=4),  # quantity
        st.decimals("0", "9999.9999", places=4),  # unit price
        st.sampled_from(RATES),
    ),
    min_size=1,
    max_size=6,
)


def business_and_customer(regime: str, default_rate: Decimal = Decimal(19)):
    tenant = TenantFactory(country="DE")
    TaxRate.objects.create(tenant=tenant, name="Standard", rate=default_rate, is_default=True)
    customer = CustomerFactory(
        tenant=tenant,
        vat_regime=regime,
        vat_id="FR40303265045" if regime == "reverse_charge" else "",
        billing_country="FR" if regime == "reverse_charge" else "DE",
    )
    return tenant, customer


def amounts(document) -> tuple[Decimal, Decimal, Decimal]:
    return (document.net_amount, document.tax_amount, document.gross_amount)


class TestOneOffTotalsAreTheInvoices(HypothesisTestCase):
    @settings(max_examples=40, deadline=None)
    @given(lines=one_off_lines, regime=st.sampled_from(REGIMES))
    @example(
        lines=[
            (Decimal(3), Decimal("0.0050"), Decimal(19)),
            (Decimal("0.3333"), Decimal("1.4999"), Decimal("5.5")),
        ],
        regime="standard",
    )
    def test_a_sent_quote_totals_what_an_invoice_of_its_lines_totals(self, lines, regime):
        # Given a customer under `regime` and the same lines on a quote and on an invoice
        _tenant, customer = business_and_customer(regime)
        quote = quote_create_draft(customer=customer, actor=SYSTEM, today=TODAY)
        invoice = invoice_create_draft(customer=customer, actor=SYSTEM)
        for n, (quantity, unit_price, rate) in enumerate(lines):
            line = {
                "description": f"Line {n}",
                "quantity": quantity,
                "unit_price": unit_price,
                "tax_rate": rate,
                "actor": SYSTEM,
            }
            quote_add_line(quote=quote, **line)
            invoice_add_line(invoice=invoice, **line)
        # When the quote is sent and the invoice finalized
        quote = quote_send(quote=quote, actor=SYSTEM, today=TODAY)
        invoice = invoice_finalize(invoice=invoice, actor=SYSTEM, today=TODAY)
        # Then they come to the same amounts, line by line and in total
        assert amounts(quote) == amounts(invoice)
        quote_lines = [(*amounts(li), li.tax_rate) for li in quote.lines.order_by("position")]
        invoice_lines = [(*amounts(li), li.tax_rate) for li in invoice.lines.order_by("position")]
        assert quote_lines == invoice_lines
        if regime == "reverse_charge":
            assert quote.tax_amount == 0 and quote.net_amount == quote.gross_amount
            assert quote.vat_regime == "reverse_charge" and quote.buyer["vat_mention"]


class TestRecurringLinesAreWhatTheBillingRunBills(HypothesisTestCase):
    @settings(max_examples=15, deadline=None)
    @given(
        interval=st.sampled_from([1, 3, 12]),
        quantity=st.integers(1, 5),
        unit_price=st.decimals("0.0001", "999.9999", places=4),
        options=st.lists(
            st.tuples(st.integers(1, 4), st.decimals("0.0001", "99.9999", places=4)),
            max_size=2,
        ),
        regime=st.sampled_from(REGIMES),
    )
    @example(
        interval=3,
        quantity=3,
        unit_price=Decimal("33.3333"),
        options=[(3, Decimal("1.6667")), (1, Decimal("0.0050"))],
        regime="standard",
    )
    def test_the_first_period_is_invoiced_at_the_quote_lines_amounts(
        self, interval, quantity, unit_price, options, regime
    ):
        # Given a sent quote with one recurring line, its options and a negotiated price
        tenant, customer = business_and_customer(regime, default_rate=Decimal(19))
        tariff = TariffFactory(module__tenant=tenant, interval_months=interval, price="49.00")
        offered = []
        for option_quantity, monthly in options:
            option = OptionFactory(tenant=tenant, unit_price="1.00")
            tariff.options.add(option)
            offered.append(OptionIn(option, option_quantity, monthly))
        quote = quote_create_draft(customer=customer, actor=SYSTEM, today=TODAY)
        quote_add_recurring(
            quote=quote,
            tariff=tariff,
            actor=SYSTEM,
            start_on=TODAY,
            quantity=Decimal(quantity),
            unit_price=unit_price,
            options=offered,
        )
        quote = quote_send(quote=quote, actor=SYSTEM, today=TODAY)
        line = quote.lines.get()
        # When it is approved and the billing run invoices the subscription's first period
        tenant.quote_link_approval = True  # approved through its link, by a typed name
        tenant.save(update_fields=["quote_link_approval"])
        quote_approve(quote=quote, actor=SYSTEM, approval=approval(name="Pat Doe"), today=TODAY)
        stats = billing_run(today=TODAY, customer=customer)
        # Then that invoice comes to the quote line's amounts
        assert stats.invoices == 1
        (subscription,) = quote.subscriptions.all()
        invoice = Invoice.objects.get(subscription=subscription)
        assert amounts(invoice) == amounts(line)
        assert invoice.lines.count() == 1 + len(options)
        if regime == "reverse_charge":
            assert line.tax_rate == 0 and invoice.tax_amount == 0
