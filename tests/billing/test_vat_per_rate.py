"""Figures that recompute: VAT per rate is that rate's net times the rate, rounded once
(EN 16931 BR-CO-17); the document's VAT is the sum of the rates', its total net + VAT; unit
prices are printed as stored, so quantity times the printed price is the line's net; and the
printed breakdown says the same as the stored figures — for invoices issued one by one, by the
billing run (COPY on PostgreSQL, the ORM elsewhere), for credit notes and for quotes."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from billing.documents.calculations import issued_tax_by_rate
from billing.documents.credit_notes import credit_note_issue
from billing.documents.pdf import render_credit_note_pdf, render_invoice_pdf
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import Invoice, TaxRate
from billing.run import services as billing
from core.money import round_money
from core.roles import SYSTEM
from quotes.lifecycle import quote_send
from quotes.pdf import render_quote_html
from quotes.services import quote_add_line, quote_create_draft
from subscriptions.models import PendingCharge
from subscriptions.services import subscription_order
from tests.factories import CustomerFactory, TariffFactory, TenantFactory
from tests.helpers import pdf_text, pdf_words

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 20)
RATES = [Decimal(r) for r in ("0", "7", "19", "20", "22")]
# The issue's example: €12.50 at 19 % in five lines of €2.50. Each line's own VAT is 0.475,
# 0.48 rounded, 2.40 summed; the rate's VAT is 12.50 x 0.19 = 2.375, rounded once 2.38.
FIVE_LINES = [("Licence", "1", "2.50", "19")] * 5


def text_of(content: bytes) -> str:
    return " ".join(pdf_text(content).split())  # one space between words, whatever the layout


def euros(text: str) -> Decimal:
    """€1,234.50 (English) as a Decimal."""
    return Decimal(text.replace("€", "").replace(",", ""))


AMOUNT = r"(-?€[\d,]+\.\d\d)"


def printed_figures(text: str) -> tuple[Decimal, dict[Decimal, tuple[Decimal, Decimal]], Decimal]:
    """What the PDF prints under its lines: net, VAT per rate (net, VAT) and total."""
    (net,) = re.findall(rf"\bNet {AMOUNT}", text)
    by_rate = {
        Decimal(rate): (euros(base), euros(tax))
        for rate, base, tax in re.findall(rf"VAT ([\d.]+) % of {AMOUNT} {AMOUNT}", text)
    }
    (total,) = re.findall(rf"\bTotal(?: credited)? {AMOUNT}", text)
    return euros(net), by_rate, euros(total)


def business(rate: str = "19"):
    tenant = TenantFactory(country="DE", locale="en")
    TaxRate.objects.create(tenant=tenant, name="Standard", rate=Decimal(rate), is_default=True)
    return tenant, CustomerFactory(tenant=tenant, language="en", billing_country="DE")


def issue(customer, lines) -> Invoice:
    invoice = invoice_create_draft(customer=customer, actor=SYSTEM)
    for description, quantity, price, rate in lines:
        invoice_add_line(
            invoice=invoice,
            description=description,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            tax_rate=Decimal(rate),
            actor=SYSTEM,
        )
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=TODAY, send=False)


def assert_recomputes(document, lines) -> None:
    """Per rate, VAT = round(net x rate); the document's VAT their sum, its gross net + VAT;
    and its lines' nets and VAT shares add up to it."""
    nets: dict[Decimal, Decimal] = {}
    for line in lines:
        nets[line.tax_rate] = nets.get(line.tax_rate, Decimal(0)) + line.net_amount
    expected = {
        rate: (net, round_money(net * rate / 100, document.currency)) for rate, net in nets.items()
    }
    assert issued_tax_by_rate(lines) == expected
    assert document.net_amount == sum(nets.values())
    assert document.tax_amount == sum(tax for _net, tax in expected.values())
    assert document.gross_amount == document.net_amount + document.tax_amount
    assert sum(line.gross_amount for line in lines) == document.gross_amount


class TestTheIssuesExample:
    def test_five_lines_of_2_50_at_19_percent_come_to_2_38_of_vat_not_2_40(self):
        # Given five lines of €2.50 at 19 %
        _tenant, customer = business()
        # When they are invoiced
        invoice = issue(customer, FIVE_LINES)
        # Then the VAT is 12.50 x 19 %, rounded once
        assert (invoice.net_amount, invoice.tax_amount, invoice.gross_amount) == (
            Decimal("12.50"),
            Decimal("2.38"),  # 2.40 before: the sum of five rounded 0.475
            Decimal("14.88"),
        )
        lines = list(invoice.lines.order_by("position"))
        # the rate's rounding residue sits on one line; the lines add up to the invoice
        assert [line.tax_amount for line in lines] == [Decimal("0.46")] + [Decimal("0.48")] * 4
        assert_recomputes(invoice, lines)
        # and the PDF prints it so
        text = text_of(render_invoice_pdf(invoice))
        assert "VAT 19 % of €12.50 €2.38" in text
        assert printed_figures(text) == (
            Decimal("12.50"),
            {Decimal(19): (Decimal("12.50"), Decimal("2.38"))},
            Decimal("14.88"),
        )

    def test_two_rates_are_each_rounded_once(self):
        _tenant, customer = business()
        invoice = issue(
            customer,
            [*FIVE_LINES[:3], ("Book", "3", "0.05", "7"), ("Book", "3", "0.05", "7")],
        )
        # 7.50 x 19 % = 1.425 -> 1.43 (three lines: 1.44); 0.30 x 7 % = 0.021 -> 0.02 (lines: 0)
        assert issued_tax_by_rate(invoice.lines.all()) == {
            Decimal(19): (Decimal("7.50"), Decimal("1.43")),
            Decimal(7): (Decimal("0.30"), Decimal("0.02")),
        }
        assert (invoice.tax_amount, invoice.gross_amount) == (Decimal("1.45"), Decimal("9.25"))

    def test_the_invoice_page_prints_the_rates_vat(self, world):
        TaxRate.objects.create(tenant=world.acme, name="Standard", rate=19, is_default=True)
        invoice = issue(world.alpha, FIVE_LINES)
        content = world.client(world.alice).get(f"/invoices/{invoice.pk}/").content.decode()
        assert "VAT 19 % of €12.50</dt><dd>€2.38</dd>" in content
        assert "€14.88" in content

    def test_a_full_credit_note_takes_back_what_the_invoice_charged(self):
        _tenant, customer = business()
        invoice = issue(customer, FIVE_LINES)
        note = credit_note_issue(invoice=invoice, actor=SYSTEM, today=TODAY, reason="Cancelled")
        assert (note.net_amount, note.tax_amount, note.gross_amount) == (
            Decimal("12.50"),
            Decimal("2.38"),
            Decimal("14.88"),
        )
        assert_recomputes(note, list(note.lines.all()))
        text = text_of(render_credit_note_pdf(note))
        assert "VAT 19 % of €12.50 €2.38" in text and "Total credited €14.88" in text

    def test_line_by_line_credits_add_up_to_the_invoice(self):
        # Given the invoice of five lines, credited one line at a time
        _tenant, customer = business()
        invoice = issue(customer, FIVE_LINES)
        notes = [
            credit_note_issue(
                invoice=invoice,
                actor=SYSTEM,
                today=TODAY,
                reason="Returned",
                quantities={line.pk: Decimal(1)},
            )
            for line in invoice.lines.order_by("position")
        ]
        # Then each is rounded once (0.475 -> 0.48), and the last takes the rest of the VAT
        assert [n.tax_amount for n in notes] == [Decimal("0.48")] * 4 + [Decimal("0.46")]
        assert sum(n.gross_amount for n in notes) == invoice.gross_amount

    def test_crediting_a_discounted_invoice_line_by_line_rounds_each_note_once(self):
        # Given an invoice of 100.00 less a 10.00 discount at 19 %: 90.00 + 17.10
        _tenant, customer = business()
        invoice = issue(customer, [("Licence", "1", "100", "19"), ("Discount", "1", "-10", "19")])
        licence, discount = invoice.lines.order_by("position")
        # When the licence is credited, then the discount
        notes = [
            credit_note_issue(
                invoice=invoice,
                actor=SYSTEM,
                today=TODAY,
                reason="Returned",
                quantities={line.pk: Decimal(1)},
            )
            for line in (licence, discount)
        ]
        # Then each note's VAT is its own net x 19 %, and together they take back the invoice
        assert [(n.net_amount, n.tax_amount) for n in notes] == [
            (Decimal("100.00"), Decimal("19.00")),
            (Decimal("-10.00"), Decimal("-1.90")),
        ]
        assert sum(n.gross_amount for n in notes) == invoice.gross_amount == Decimal("107.10")

    def test_a_quote_of_the_same_lines_comes_to_the_same(self):
        _tenant, customer = business()
        quote = quote_create_draft(customer=customer, actor=SYSTEM, today=TODAY)
        for description, quantity, price, rate in FIVE_LINES:
            quote_add_line(
                quote=quote,
                description=description,
                quantity=Decimal(quantity),
                unit_price=Decimal(price),
                tax_rate=Decimal(rate),
                actor=SYSTEM,
            )
        quote = quote_send(quote=quote, actor=SYSTEM, today=TODAY)
        assert (quote.net_amount, quote.tax_amount, quote.gross_amount) == (
            Decimal("12.50"),
            Decimal("2.38"),
            Decimal("14.88"),
        )
        assert_recomputes(quote, list(quote.lines.all()))
        html = render_quote_html(quote, approved=False)
        assert "VAT 19 % of €12.50</td><td>€2.38</td>" in html


class TestUnitPricesAsStored:
    def test_quantity_times_the_printed_unit_price_is_the_lines_net(self):
        _tenant, customer = business()
        invoice = issue(
            customer,
            [("Transactions", "3", "0.0050", "19"), ("Storage", "2", "1.2345", "19")],
        )
        text = text_of(render_invoice_pdf(invoice))
        # 3 x €0.005 = €0.015 -> €0.02 and 2 x €1.2345 = €2.469 -> €2.47, not 3 x €0.01
        assert "€0.005 " in text and "€1.2345 " in text and "€0.01 " not in text
        assert "€0.02" in text and "€2.47" in text

    def test_the_invoice_page_prints_them_as_stored_too(self, world):
        TaxRate.objects.create(tenant=world.acme, name="Standard", rate=19, is_default=True)
        invoice = issue(world.alpha, [("Transactions", "3", "0.0050", "19")])
        content = world.client(world.alice).get(f"/invoices/{invoice.pk}/").content.decode()
        assert '>€0.005</td>' in content

    def test_a_price_in_cents_keeps_its_two_places(self):
        _tenant, customer = business()
        text = text_of(render_invoice_pdf(issue(customer, [("Licence", "2", "12.5000", "19")])))
        assert "€12.50 " in text and "€12.5 " not in text


lines_strategy = st.lists(
    st.tuples(
        st.decimals("0.0001", "500", places=4),  # quantity
        st.decimals("0", "9999.9999", places=4),  # unit price, as stored
        st.sampled_from(RATES),
    ),
    min_size=1,
    max_size=8,
)


class TestPrintedFiguresRecompute(HypothesisTestCase):
    @settings(max_examples=25, deadline=None)
    @given(lines=lines_strategy)
    @example(lines=[(Decimal(1), Decimal("2.50"), Decimal(19))] * 5)
    @example(
        lines=[
            (Decimal(3), Decimal("0.0050"), Decimal(19)),
            (Decimal("0.3333"), Decimal("1.4999"), Decimal(7)),
            (Decimal(7), Decimal("0.0714"), Decimal(22)),
            (Decimal(1), Decimal("0.01"), Decimal(0)),
        ]
    )
    def test_the_finalized_invoice_and_its_pdf_recompute_per_rate(self, lines):
        # Given random lines at several rates
        _tenant, customer = business()
        specs = [(f"Line {n}", q, p, r) for n, (q, p, r) in enumerate(lines)]
        # When they are invoiced
        invoice = issue(customer, specs)
        stored = list(invoice.lines.order_by("position"))
        # Then each rate's VAT is its net x rate, rounded once, and the totals follow
        assert_recomputes(invoice, stored)
        # and what the PDF prints recomputes the same way
        net, by_rate, total = printed_figures(text_of(render_invoice_pdf(invoice)))
        assert by_rate == issued_tax_by_rate(stored)
        for rate, (base, tax) in by_rate.items():
            assert tax == round_money(base * rate / 100, "EUR")
        assert net == sum(base for base, _tax in by_rate.values())
        assert total == net + sum(tax for _base, tax in by_rate.values()) == invoice.gross_amount


def test_the_billing_run_totals_what_invoice_finalize_totals(world):
    """The same lines, through the run (COPY on PostgreSQL, the ORM on SQLite) and one by one
    through invoice_finalize, come to the same figures, line by line and in total."""
    # Given a subscription at a price with four places and five pending charges of €2.50
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal(19), is_default=True)
    tariff = TariffFactory(module__tenant=world.acme, name="Team", price="33.3333")
    sub = subscription_order(
        customer=world.alpha, tariff=tariff, actor=SYSTEM, start_on=date(2026, 3, 1), quantity=3
    )
    for n in range(5):
        PendingCharge.objects.create(
            tenant=world.acme,
            subscription=sub,
            description=f"Call {n}",
            amount=Decimal("2.50"),
            currency="EUR",
            service_start=date(2026, 3, 2),
            service_end=date(2026, 3, 2),
        )
    # When the run bills the period
    billing.billing_run(today=date(2026, 3, 1))
    run = Invoice.objects.get(subscription=sub)
    run_lines = list(run.lines.order_by("position"))
    # and the same lines are invoiced one by one
    alone = issue(
        world.alpha,
        [(li.description, li.quantity, li.unit_price, li.tax_rate) for li in run_lines],
    )
    # Then both come to 112.50 net, VAT 21.375 -> 21.38 (per line: 19.00 + 5 x 0.48 = 21.40)
    figures = (run.net_amount, run.tax_amount, run.gross_amount)
    assert figures == (Decimal("112.50"), Decimal("21.38"), Decimal("133.88"))
    assert figures == (alone.net_amount, alone.tax_amount, alone.gross_amount)
    alone_lines = list(alone.lines.order_by("position"))
    assert [(li.net_amount, li.tax_amount, li.gross_amount) for li in run_lines] == [
        (li.net_amount, li.tax_amount, li.gross_amount) for li in alone_lines
    ]
    assert_recomputes(run, run_lines)


# The PDF's right margin (invoice.css, @page): nothing may be printed past it.
RIGHT_MARGIN_PT = 16 / 25.4 * 72


def assert_nothing_overlaps_or_spills(content: bytes) -> None:
    """No two words on one row share any width, and none reaches into the right margin."""
    width, words = pdf_words(content)
    for word in words:
        assert word.x_max <= width - RIGHT_MARGIN_PT + 0.5, f"{word.text} spills into the margin"
    for n, a in enumerate(words):
        for b in words[n + 1 :]:
            same_row = min(a.y_max, b.y_max) - max(a.y_min, b.y_min) > 1
            if same_row:
                overlap = min(a.x_max, b.x_max) - max(a.x_min, b.x_min)
                assert overlap <= 0.5, f"{a.text!r} and {b.text!r} overlap"


LONG = (
    "Annual enterprise licence for every department, site and subsidiary of the group, "
    "including premium support, onboarding and the data migration"
)


@pytest.mark.parametrize("language", ["en", "de"])
def test_long_amounts_and_descriptions_stay_in_their_columns(language, tmp_path):
    """1,234,567.89 and a long description: every amount printed whole, on one line, in its
    column; the PDF is left in tmp_path for a look (pdftoppm -r 60 -png)."""
    # Given an invoice with a seven-figure line, a long description and a service period
    _tenant, customer = business()
    customer.language = language
    customer.save()
    invoice = invoice_create_draft(customer=customer, actor=SYSTEM)
    for description, quantity, price in (
        (LONG, "1", "1234567.89"),
        ("Transactions", "12345.6789", "1234.5678"),
    ):
        invoice_add_line(
            invoice=invoice,
            description=description,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            tax_rate=Decimal(19),
            service_start=date(2026, 3, 1),
            service_end=date(2026, 3, 31),
            actor=SYSTEM,
        )
    invoice = invoice_finalize(invoice=invoice, actor=SYSTEM, today=TODAY, send=False)
    # When its PDF is rendered
    content = render_invoice_pdf(invoice)
    (tmp_path / f"invoice-{language}.pdf").write_bytes(content)
    # Then the amounts are whole, on one line each, and nothing overlaps or is cut
    rows = pdf_text(content).splitlines()
    amounts = ("1,234,567.89", "15,241,577.64", "1,234.5678", "3,130,467.65", "19,606,613.18")
    for amount in amounts:
        if language == "de":
            amount = amount.replace(",", " ").replace(".", ",").replace(" ", ".")
        assert any(amount in row for row in rows), amount
    assert_nothing_overlaps_or_spills(content)
