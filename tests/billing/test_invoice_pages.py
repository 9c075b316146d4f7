from datetime import date
from decimal import Decimal

import pytest
import time_machine

from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import TaxRate
from billing.payments.services import invoice_mark_paid
from core.roles import SYSTEM
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel("2026-04-20 10:00:00+02:00", tick=False):
        yield


def invoice(world, price="100", issued=date(2026, 3, 1), customer=None, finalize=True):
    TaxRate.objects.get_or_create(
        tenant=world.acme, is_default=True, defaults={"name": "Standard", "rate": Decimal("19")}
    )
    made = invoice_create_draft(customer=customer or world.alpha, actor=SYSTEM)
    invoice_add_line(
        invoice=made,
        description="Helpdesk Team",
        unit_price=Decimal(price),
        actor=SYSTEM,
        service_start=issued,
        service_end=date(2026, 3, 31),
    )
    return invoice_finalize(invoice=made, actor=SYSTEM, today=issued) if finalize else made


def test_the_list_shows_finalized_invoices_and_never_drafts(world):
    overdue = invoice(world)
    paid = invoice(world, price="50")
    invoice_mark_paid(invoice=paid, actor=SYSTEM, amount=paid.gross_amount)
    invoice(world, price="999", finalize=False)
    content = world.client(world.alice).get("/invoices/").content.decode()
    assert overdue.number in content and paid.number in content
    assert "Overdue" in content and "€119.00" in content
    assert "1,188.81" not in content  # the draft
    unpaid = world.client(world.alice).get("/invoices/?show=unpaid").content.decode()
    assert overdue.number in unpaid and paid.number not in unpaid


def test_a_draft_is_a_404_for_the_customer(world):
    draft = invoice(world, finalize=False)
    assert world.client(world.alice).get(f"/invoices/{draft.pk}/").status_code == 404


def test_the_invoice_page_carries_what_the_law_asks(world):
    world.acme.legal_name, world.acme.vat_id = "Acme Software GmbH", "DE136695976"
    world.acme.iban, world.acme.bic = "DE89370400440532013000", "COBADEFFXXX"
    world.acme.save()
    made = invoice(world)
    content = world.client(world.alice).get(f"/invoices/{made.pk}/").content.decode()
    for text in (
        "Acme Software GmbH",
        "DE136695976",
        made.number,
        "VAT 19 %",
        "€19.00",
        "€119.00",
        "DE89370400440532013000",
        "1 Mar 2026",
    ):
        assert text in content, text


@pytest.mark.usefixtures("no_page_cache")
def test_the_list_costs_the_same_with_more_invoices(world):
    client = world.client(world.alice)
    invoice(world)
    client.get("/invoices/")
    with assert_max_queries(20) as few:
        client.get("/invoices/")
    for _ in range(10):
        invoice(world)
    with assert_max_queries(len(few.captured_queries)):
        client.get("/invoices/")


def test_an_unknown_filter_shows_all(world):
    assert world.client(world.alice).get("/invoices/?show=<script>").status_code == 200


def test_recurring_invoices_show_each_subscription_with_its_invoices(world):
    from billing.run.services import billing_run
    from subscriptions.services import subscription_order
    from tests.factories import TariffFactory

    TaxRate.objects.get_or_create(
        tenant=world.acme, is_default=True, defaults={"name": "Standard", "rate": Decimal("19")}
    )
    tariff = TariffFactory(
        module__tenant=world.acme, module__name="Helpdesk", name="Team", price="49"
    )
    subscription_order(
        customer=world.alpha,
        tariff=tariff,
        actor=SYSTEM,
        start_on=date(2026, 3, 1),
        remaining_cycles=6,
    )
    billing_run(today=date(2026, 4, 20))
    client = world.client(world.alice)
    content = client.get("/invoices/recurring/").content.decode()
    assert "Helpdesk — Team" in content and "INV-2026-000002" in content
    assert "1 May 2026" in content and ">4<" in content  # next invoice, cycles left
    from tests.helpers import assert_max_queries

    client.get("/invoices/recurring/")
    with assert_max_queries(20) as few:
        client.get("/invoices/recurring/")
    subscription_order(customer=world.alpha, tariff=tariff, actor=SYSTEM, start_on=date(2026, 2, 1))
    billing_run(today=date(2026, 4, 20))
    with assert_max_queries(len(few.captured_queries)):
        client.get("/invoices/recurring/")
    assert "Helpdesk" not in world.client(world.bob).get("/invoices/recurring/").content.decode()
