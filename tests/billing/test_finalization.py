"""One finalization: an invoice issued by the billing run's batch writer and the same invoice
finalized by `invoice_finalize` come out the same, under every VAT regime."""

from datetime import date
from decimal import Decimal

import pytest

from billing.documents.calculations import line_amounts
from billing.documents.finalization import (
    LineIn,
    buyer_snapshot,
    invoice_finalization,
    seller_snapshot,
)
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import Invoice, TaxRate
from billing.run.services import billing_run
from contracts.models import VatRegime
from core.roles import SYSTEM
from subscriptions.services import subscription_option_add, subscription_order
from tests.factories import CustomerFactory, OptionFactory, TariffFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 2)
FROZEN = [
    "currency",
    "net_amount",
    "tax_amount",
    "gross_amount",
    "seller",
    "buyer",
    "vat_regime",
    "is_test",
    "issue_date",
    "due_date",
    "status",
]
LINE = ["description", "quantity", "unit_price", "tax_rate", "net_amount", "tax_amount"]


def line_values(invoice: Invoice) -> list[tuple]:
    return [
        (*(getattr(line, name) for name in LINE), line.gross_amount)
        for line in invoice.lines.order_by("id")
    ]


@pytest.mark.parametrize("regime", VatRegime.values)
def test_the_run_and_invoice_finalize_produce_the_same_invoice(world, regime):
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal("19"), is_default=True)
    customer = CustomerFactory(
        tenant=world.acme,
        vat_regime=regime,
        vat_id="FR40303265045" if regime != VatRegime.STANDARD else "",
        vat_exemption_reason="VATEX-EU-132-1B" if regime == VatRegime.EXEMPT else "",
        language="fr",
        payment_terms_days=21,
        is_test_account=regime == VatRegime.OUT_OF_SCOPE,
    )
    tariff = TariffFactory(
        module__tenant=world.acme, module__name="Helpdesk", name="Team", price="33.335"
    )
    subscription = subscription_order(
        customer=customer, tariff=tariff, actor=SYSTEM, start_on=date(2026, 3, 1), quantity=3
    )
    option = OptionFactory(tenant=world.acme, name="Archive", unit_price="4.99")
    tariff.options.add(option)
    subscription_option_add(
        subscription=subscription,
        option=option,
        actor=world.staff["acme", "owner"],
        today=date(2026, 3, 1),
    )

    assert billing_run(today=TODAY, tenant=world.acme).invoices == 1
    by_run = Invoice.objects.get(subscription=subscription)

    draft = invoice_create_draft(customer=customer, actor=SYSTEM, currency="EUR")
    for line in by_run.lines.order_by("id"):
        invoice_add_line(
            invoice=draft,
            actor=SYSTEM,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=Decimal("19"),  # the business's rate: the regime decides what is charged
            service_start=line.service_start,
            service_end=line.service_end,
        )
    by_hand = invoice_finalize(invoice=draft, actor=SYSTEM, today=TODAY)
    by_hand.refresh_from_db()

    assert {name: getattr(by_hand, name) for name in FROZEN} == {
        name: getattr(by_run, name) for name in FROZEN
    }
    assert line_values(by_hand) == line_values(by_run)
    if regime == VatRegime.STANDARD:
        assert by_run.tax_amount > 0
    else:
        assert by_run.tax_amount == 0 and by_run.buyer["vat_mention"]


def line(quantity: str, unit_price: str, rate: str) -> LineIn:
    amounts = line_amounts(
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        tax_rate=Decimal(rate),
        currency="EUR",
    )
    return LineIn(
        Decimal(quantity),
        Decimal(unit_price),
        Decimal(rate),
        amounts.net,
        amounts.tax,
        amounts.gross,
    )


@pytest.mark.parametrize("regime", VatRegime.values)
def test_lines_at_several_rates_keep_or_lose_their_vat_by_regime(world, regime):
    customer = CustomerFactory(
        tenant=world.acme,
        vat_regime=regime,
        vat_id="DE136695976",
        vat_exemption_reason="VATEX-EU-135-1A" if regime == VatRegime.EXEMPT else "",
        payment_terms_days=14,
    )
    lines = [line("3", "33.335", "19"), line("1", "9.99", "7"), line("2", "0.005", "0")]
    final = invoice_finalization(
        customer=customer,
        currency="EUR",
        lines=lines,
        today=TODAY,
        seller=seller_snapshot(world.acme),
        buyer=buyer_snapshot(customer),
    )
    nets = [li.net_amount for li in final.lines]
    assert nets == [Decimal("100.01"), Decimal("9.99"), Decimal("0.01")]  # never recomputed away
    assert final.net_amount == sum(nets) and final.due_date == date(2026, 3, 16)
    if regime == VatRegime.STANDARD:
        assert [li.tax_amount for li in final.lines] == [Decimal("19.00"), Decimal("0.70"), 0]
        assert final.tax_amount == Decimal("19.70")
    else:
        assert {li.tax_rate for li in final.lines} == {0} and final.tax_amount == 0
    assert final.gross_amount == final.net_amount + final.tax_amount
