"""A package bought in the portal is invoiced and paid at once with the chosen card."""

from decimal import Decimal

import pytest

from billing.models import Invoice, TaxRate
from subscriptions.credits import credit_account
from tests import stripe_fake
from tests.billing.test_payments import save_card
from tests.factories import PackageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ten(world):
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal(19), is_default=True)
    return PackageFactory(tenant=world.acme, name="10 tickets", credits=10, price="90.00")


def test_bought_and_paid_with_the_chosen_card(stripe_acme, world, ten):
    card = save_card(world, stripe_acme)
    client = world.client(world.alice)
    page = client.get(f"/credits/packages/{ten.pk}/").content.decode()
    assert "Visa •••• 4242" in page and "paid with the card you choose" in page
    response = client.post(f"/credits/packages/{ten.pk}/", {"method": card.pk}, follow=True)
    assert "Thank you: €107.10 was paid" in response.content.decode()
    invoice = Invoice.objects.get(customer=world.alpha)
    line = invoice.lines.get()
    assert invoice.status == "paid" and line.order.title == "10 tickets"
    assert credit_account(world.alpha).balance == 10


def test_a_declined_card_leaves_the_invoice_to_pay(stripe_acme, world, ten):
    card = save_card(world, stripe_acme, stripe_fake.CARD_DECLINED_OFF_SESSION)
    client = world.client(world.alice)
    response = client.post(f"/credits/packages/{ten.pk}/", {"method": card.pk})
    invoice = Invoice.objects.get(customer=world.alpha)
    assert response.status_code == 302 and response["Location"] == f"/invoices/{invoice.pk}/pay/"
    assert invoice.status == "open"


def test_a_bank_transfer_business_sends_the_invoice(world, ten):
    client = world.client(world.alice)
    response = client.post(f"/credits/packages/{ten.pk}/")
    invoice = Invoice.objects.get(customer=world.alpha)
    assert response["Location"] == f"/invoices/{invoice.pk}/"
    assert invoice.status == "open" and invoice.gross_amount == Decimal("107.10")
