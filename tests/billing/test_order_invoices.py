"""Orders follow their invoices: a priced one-off order is invoiced once (the back office's
"Invoice this order" or the billing run), its payment state is read from its invoice, and the
order, invoice and subscription pages link each other."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from billing.documents.credit_notes import credit_note_issue
from billing.documents.selectors import order_payments
from billing.documents.services import invoice_void
from billing.models import Invoice, TaxRate
from billing.payments.checkout import order_invoice_now
from billing.payments.services import payment_record
from billing.run.services import billing_run
from core.models import AuditEntry
from core.roles import SYSTEM
from subscriptions.models import Order
from subscriptions.orders import order_create, order_update
from subscriptions.services import subscription_order
from tests.billing.test_payments import save_card
from tests.conftest import client_for
from tests.factories import ModuleFactory, PackageFactory, TariffFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def vat(world) -> TaxRate:
    return TaxRate.objects.create(
        tenant=world.acme, name="Standard", rate=Decimal(19), is_default=True
    )


@pytest.fixture
def setup(world) -> Order:
    """A one-off order of alpha's, priced by staff at €200 (the business's 19 % VAT)."""
    return order_create(
        customer=world.alpha,
        title="Website setup",
        actor=world.staff["acme", "billing"],
        amount=Decimal("200.00"),
    )


def state(order: Order) -> str | None:
    return order_payments([order])[order.pk].state


def invoice_of(order: Order) -> Invoice:
    return Invoice.objects.get(lines__order=order)


# Priced, invoiced once --------------------------------------------------------------------


def test_a_priced_order_waits_to_be_invoiced_and_an_unpriced_one_costs_nothing(world, setup):
    free = order_create(customer=world.alpha, title="Kick-off call", actor=SYSTEM)
    assert setup.currency == "EUR" and setup.tax_rate is None
    assert state(setup) == "not_invoiced" and state(free) == "no_charge"


def test_invoicing_from_the_back_office_bills_the_price_with_the_default_vat(world, setup):
    billing = world.staff["acme", "billing"]
    invoice = order_invoice_now(order=setup, actor=billing, today=TODAY)
    line = invoice.lines.get()
    assert invoice.status == "open" and invoice.number
    assert (line.order, line.tax_rate, invoice.gross_amount) == (
        setup,
        Decimal(19),
        Decimal("238.00"),
    )
    setup.refresh_from_db()
    assert setup.invoiced_at is not None and state(setup) == "unpaid"
    assert AuditEntry.objects.filter(action="order.invoice", object_id=str(setup.pk)).exists()


def test_an_order_with_its_own_vat_rate_is_invoiced_at_that_rate(world):
    order = order_create(
        customer=world.alpha,
        title="Training",
        actor=SYSTEM,
        amount=Decimal("100.00"),
        tax_rate=Decimal(7),
    )
    invoice = order_invoice_now(order=order, actor=world.staff["acme", "billing"], today=TODAY)
    assert invoice.gross_amount == Decimal("107.00")


def test_an_order_invoiced_by_the_back_office_is_not_invoiced_again_by_the_run(world, setup):
    invoice = order_invoice_now(order=setup, actor=world.staff["acme", "billing"], today=TODAY)
    assert billing_run(today=TODAY, tenant=world.acme).invoices == 0
    assert list(Invoice.objects.filter(lines__order=setup)) == [invoice]


def test_an_order_whose_invoice_was_voided_is_invoiced_again_only_by_staff(world, setup):
    manager = world.staff["acme", "manager"]
    first = order_invoice_now(order=setup, actor=manager, today=TODAY)
    invoice_void(invoice=first, actor=manager, reason="Wrong price")
    assert billing_run(today=TODAY, tenant=world.acme).invoices == 0  # the run leaves it
    again = order_invoice_now(order=setup, actor=manager, today=TODAY)
    assert again.pk != first.pk and again.status == "open"
    assert state(setup) == "unpaid"
    with pytest.raises(ValidationError, match="already invoiced"):
        order_invoice_now(order=setup, actor=manager, today=TODAY)


def test_an_order_invoiced_by_the_run_cannot_be_invoiced_again_by_the_back_office(world, setup):
    assert billing_run(today=TODAY, tenant=world.acme).invoices == 1
    assert billing_run(today=TODAY, tenant=world.acme).invoices == 0
    with pytest.raises(ValidationError, match="already invoiced"):
        order_invoice_now(order=setup, actor=world.staff["acme", "billing"], today=TODAY)
    assert Invoice.objects.filter(lines__order=setup).count() == 1
    assert AuditEntry.objects.get(action="order.invoice").actor_label == "billing run"


def test_an_order_the_run_cannot_invoice_does_not_stop_the_others(world, setup):
    # Priced before the price check existed (a row written directly, as by an older release).
    broken = order_create(customer=world.bravo, title="Huge", actor=SYSTEM, amount=Decimal(1))
    type(broken).objects.filter(pk=broken.pk).update(amount=Decimal("2000000000000000.00"))
    assert billing_run(today=TODAY, tenant=world.acme).invoices >= 0
    assert state(setup) == "unpaid"
    assert state(broken) == "not_invoiced"


def test_the_run_for_one_customer_leaves_other_customers_orders(world, setup):
    other = order_create(customer=world.bravo, title="Audit", actor=SYSTEM, amount=Decimal("50.00"))
    billing_run(today=TODAY, customer=world.bravo)
    assert state(other) == "unpaid" and state(setup) == "not_invoiced"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"amount": Decimal("0.00")},
        {},
    ],
)
def test_only_a_priced_one_off_order_is_invoiced_on_its_own(world, kwargs):
    order = order_create(customer=world.alpha, title="Free", actor=SYSTEM, **kwargs)
    with pytest.raises(ValidationError, match="with a price"):
        order_invoice_now(order=order, actor=world.staff["acme", "billing"], today=TODAY)
    assert billing_run(today=TODAY, tenant=world.acme).invoices == 0


def test_support_cannot_invoice_an_order(world, setup):
    with pytest.raises(PermissionDenied):
        order_invoice_now(order=setup, actor=world.staff["acme", "support"], today=TODAY)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": Decimal("-1")}, "amount"),
        ({"amount": Decimal("2000000000000000.00")}, "amount"),
        ({"amount": Decimal("600000000000000.00"), "tax_rate": Decimal(100)}, "amount"),
        ({"amount": Decimal("10"), "currency": "XYZ"}, "currency"),
        ({"amount": Decimal("10"), "tax_rate": Decimal(120)}, "tax_rate"),
        ({"tax_rate": Decimal(7)}, "tax_rate"),
    ],
)
def test_a_wrong_price_is_refused(world, kwargs, field):
    with pytest.raises(ValidationError) as refused:
        order_create(customer=world.alpha, title="Wrong", actor=SYSTEM, **kwargs)
    assert field in refused.value.message_dict


# The payment state follows the invoice -----------------------------------------------------


def test_the_order_reads_unpaid_then_partly_paid_then_paid_then_credited(world, setup):
    billing = world.staff["acme", "billing"]
    invoice = order_invoice_now(order=setup, actor=billing, today=TODAY)
    assert state(setup) == "unpaid"

    def pay(amount: str) -> None:
        payment_record(
            customer=world.alpha,
            amount=Decimal(amount),
            currency="EUR",
            method="bank_transfer",
            reference=invoice.number,
            received_on=TODAY,
            invoices=[invoice],
            actor=billing,
        )

    pay("100.00")
    assert state(setup) == "partly_paid"
    pay("138.00")
    invoice.refresh_from_db()
    assert invoice.status == "paid" and state(setup) == "paid"
    credit_note_issue(invoice=invoice, actor=billing, today=TODAY, reason="Cancelled")
    assert state(setup) == "credited"


def test_a_credit_note_on_an_unpaid_invoice_credits_the_order(world, setup):
    billing = world.staff["acme", "billing"]
    invoice = order_invoice_now(order=setup, actor=billing, today=TODAY)
    credit_note_issue(invoice=invoice, actor=billing, today=TODAY, reason="Not wanted")
    invoice.refresh_from_db()
    assert invoice.status == "paid" and state(setup) == "credited"


def test_a_package_paid_by_card_reads_paid(stripe_acme, world):
    ten = PackageFactory(tenant=world.acme, name="10 tickets", credits=10, price="90.00")
    card = save_card(world, stripe_acme)
    client = world.client(world.alice)
    client.post(f"/credits/packages/{ten.pk}/", {"method": card.pk})
    order = Order.objects.get(customer=world.alpha, title="10 tickets")
    assert invoice_of(order).status == "paid" and state(order) == "paid"
    listing = client.get("/orders/").content.decode()
    assert "10 tickets" in listing and ">Paid</span>" in listing and "Unpaid" not in listing


# Links both ways --------------------------------------------------------------------------


def test_the_order_links_to_its_invoice_and_the_invoice_to_its_order(world, setup):
    invoice = order_invoice_now(order=setup, actor=world.staff["acme", "billing"], today=TODAY)
    client = world.client(world.alice)
    order_page = client.get(f"/orders/{setup.pk}/").content.decode()
    assert f'href="/invoices/{invoice.pk}/"' in order_page and "Unpaid" in order_page
    listing = client.get("/orders/").content.decode()
    assert f'href="/invoices/{invoice.pk}/"' in listing
    invoice_page = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert f'href="/orders/{setup.pk}/"' in invoice_page and "Website setup" in invoice_page


def test_the_back_office_links_the_order_and_its_invoice(world, setup):
    staff = client_for(world.staff["acme", "support"], world.acme)
    invoice = order_invoice_now(order=setup, actor=world.staff["acme", "billing"], today=TODAY)
    order_page = staff.get(f"/manage/subscriptions/order/{setup.pk}/change/").content.decode()
    assert f"/manage/billing/invoice/{invoice.pk}/change/" in order_page
    assert "Unpaid" in order_page
    invoice_page = staff.get(f"/manage/billing/invoice/{invoice.pk}/change/").content.decode()
    assert f"/manage/subscriptions/order/{setup.pk}/change/" in invoice_page


def test_the_back_office_action_invoices_the_order_once(world, setup):
    billing = client_for(world.staff["acme", "billing"], world.acme)
    for _ in range(2):
        billing.post(
            "/manage/subscriptions/order/",
            {"action": "invoice_order", "_selected_action": [setup.pk]},
        )
    assert Invoice.objects.filter(lines__order=setup).count() == 1
    support = client_for(world.staff["acme", "support"], world.acme)
    other = order_create(customer=world.alpha, title="More", actor=SYSTEM, amount=Decimal(5))
    support.post(
        "/manage/subscriptions/order/", {"action": "invoice_order", "_selected_action": [other.pk]}
    )
    assert state(other) == "not_invoiced"


def test_staff_price_an_order_in_the_back_office_until_it_is_invoiced(world):
    billing = client_for(world.staff["acme", "billing"], world.acme)
    response = billing.post(
        "/manage/subscriptions/order/add/",
        {"customer": world.alpha.pk, "title": "Consulting", "amount": "-5", "currency": ""},
    )
    assert response.status_code == 200 and not Order.objects.filter(title="Consulting").exists()
    billing.post(
        "/manage/subscriptions/order/add/",
        {"customer": world.alpha.pk, "title": "Consulting", "amount": "80", "tax_rate": "7"},
    )
    order = Order.objects.get(title="Consulting")
    assert (order.amount, order.currency, order.tax_rate) == (Decimal(80), "EUR", Decimal(7))
    change = f"/manage/subscriptions/order/{order.pk}/change/"
    form = billing.get(change).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"amount": "95", "stages-TOTAL_FORMS": "0", "stages-INITIAL_FORMS": "0"})
    assert billing.post(change, data).status_code == 302
    order.refresh_from_db()
    assert order.amount == Decimal(95)
    edit = AuditEntry.objects.get(action="order.update")
    assert list(edit.before) == ["amount"] and Decimal(str(edit.after["amount"])) == 95
    order_invoice_now(order=order, actor=world.staff["acme", "billing"], today=TODAY)
    page = billing.get(f"/manage/subscriptions/order/{order.pk}/change/").content.decode()
    assert 'name="amount"' not in page  # invoiced: the price is the invoice's


def test_a_price_changed_after_the_run_invoiced_the_order_is_refused(world, setup):
    # The page was opened before the run invoiced it; the edit arrives after.
    billing_run(today=TODAY, tenant=world.acme)
    with pytest.raises(ValidationError, match="invoiced meanwhile"):
        order_update(order=setup, actor=world.staff["acme", "billing"], amount=Decimal(1))
    order_update(order=setup, actor=world.staff["acme", "billing"], title="Renamed")
    setup.refresh_from_db()
    assert setup.title == "Renamed" and setup.amount != Decimal(1)


# Subscription pages list their invoices ----------------------------------------------------


@pytest.fixture
def subscribed(world):
    module = ModuleFactory(tenant=world.acme, name="Helpdesk")
    tariff = TariffFactory(module=module, name="Basic", price="10.00")
    return subscription_order(
        customer=world.alpha, tariff=tariff, actor=SYSTEM, start_on=date(2026, 1, 1)
    )


def test_the_subscription_page_lists_its_invoices_newest_first(world, subscribed):
    billing_run(today=date(2026, 2, 1), tenant=world.acme)
    invoices = list(Invoice.objects.filter(subscription=subscribed).order_by("period_start"))
    assert len(invoices) == 2
    page = world.client(world.alice).get(f"/subscriptions/{subscribed.pk}/").content.decode()
    newest, oldest = (page.index(f'href="/invoices/{i.pk}/"') for i in reversed(invoices))
    assert newest < oldest and "€11.90" in page
    staff = client_for(world.staff["acme", "support"], world.acme)
    admin_page = staff.get(
        f"/manage/subscriptions/subscription/{subscribed.pk}/change/"
    ).content.decode()
    assert all(f"/manage/billing/invoice/{i.pk}/change/" in admin_page for i in invoices)


def test_an_invoice_with_a_line_of_the_subscription_is_listed_too(world, subscribed):
    from billing.documents.services import (
        invoice_add_line,
        invoice_create_draft,
        invoice_finalize,
    )

    draft = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    invoice_add_line(
        invoice=draft,
        description="Set-up fee",
        unit_price=Decimal(30),
        actor=SYSTEM,
        subscription=subscribed,
    )
    client = world.client(world.alice)
    assert (
        f'href="/invoices/{draft.pk}/"'
        not in client.get(f"/subscriptions/{subscribed.pk}/").content.decode()
    )  # drafts are never shown
    invoice_finalize(invoice=draft, actor=SYSTEM, today=TODAY)
    page = client.get(f"/subscriptions/{subscribed.pk}/").content.decode()
    assert f'href="/invoices/{draft.pk}/"' in page


# Outsiders --------------------------------------------------------------------------------


def test_another_customers_order_and_its_invoice_are_404(world, setup):
    invoice = order_invoice_now(order=setup, actor=world.staff["acme", "billing"], today=TODAY)
    bob = world.client(world.bob)
    assert bob.get(f"/orders/{setup.pk}/").status_code == 404
    assert bob.get(f"/invoices/{invoice.pk}/").status_code == 404
    assert "Website setup" not in bob.get("/orders/").content.decode()
    globex_staff = client_for(world.staff["globex", "owner"], world.globex)
    assert globex_staff.get(f"/manage/subscriptions/order/{setup.pk}/change/").status_code == 404


def test_the_order_page_invoices_it_with_one_button(world, setup):
    billing = client_for(world.staff["acme", "billing"], world.acme)
    url = f"/manage/subscriptions/order/{setup.pk}/invoice/"
    assert url in billing.get(f"/manage/subscriptions/order/{setup.pk}/change/").content.decode()
    assert billing.get(url).status_code == 405
    response = billing.post(url)
    assert response.status_code == 302 and state(setup) == "unpaid"
    assert (
        url not in billing.get(f"/manage/subscriptions/order/{setup.pk}/change/").content.decode()
    )
    support = client_for(world.staff["acme", "support"], world.acme)
    other = order_create(customer=world.alpha, title="More", actor=SYSTEM, amount=Decimal(5))
    other_url = f"/manage/subscriptions/order/{other.pk}/invoice/"
    assert (
        other_url
        not in support.get(f"/manage/subscriptions/order/{other.pk}/change/").content.decode()
    )
    assert support.post(other_url).status_code == 403
    globex = client_for(world.staff["globex", "owner"], world.globex)
    assert globex.post(other_url).status_code == 404
    assert state(other) == "not_invoiced"
