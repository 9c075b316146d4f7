"""Every list page of the portal costs the same number of queries with 1 row as with 30.

Each test makes real rows through the services (invoices finalized, payments recorded, cards
saved at the fake Stripe, …), checks that the page really shows every one of them (else a flat
count would prove nothing), and compares the queries of one request at 1 and at 30 rows. The
ceilings are what the pages cost today, the same on SQLite and PostgreSQL: a change that adds a
query to a page shows up here and is a choice, not an accident."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from billing.documents.credit_notes import credit_note_issue
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import Invoice, TaxRate
from billing.payments.checkout import order_invoice_now
from billing.payments.services import invoice_mark_paid
from billing.run.services import billing_run
from core.roles import SYSTEM
from quotes.approval import quote_approve
from quotes.lifecycle import quote_send
from quotes.requests import ItemIn, quote_request_create
from subscriptions.access import department_access_set
from subscriptions.credits import credits_use, package_purchase
from subscriptions.models import Department
from subscriptions.orders import order_advance, order_create
from subscriptions.services import (
    subscription_change_tariff,
    subscription_option_add,
    subscription_order,
)
from tests.billing.test_payments import save_card
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    ModuleFactory,
    OptionFactory,
    PackageFactory,
    TariffFactory,
)
from tests.quotes.helpers import approval, pending_quote

pytestmark = pytest.mark.django_db
NOW = "2026-04-20 10:00:00+02:00"
TODAY = date(2026, 4, 20)
ROWS = (1, 30)

AddRows = Callable[[range], list[str]]


def queries_for(client: Client, url: str) -> tuple[list[str], str]:
    """The SQL of one request to `url` once the session and the tenant are warm, and the page
    it returned."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return [q["sql"] for q in captured.captured_queries], response.content.decode()


def assert_flat(client: Client, url: str, add_rows: AddRows, *, ceiling: int) -> dict[int, int]:
    """Grows the page to each size in ROWS — `add_rows(numbers)` makes one row per number and
    returns a piece of HTML for each thing the page must then show — and asserts it shows them
    all at the same query count, at most `ceiling`."""
    shown: list[str] = []
    sql: dict[int, list[str]] = {}
    made = 0
    for rows in ROWS:
        shown += add_rows(range(made, rows))
        made = rows
        sql[rows], content = queries_for(client, url)
        missing = [marker for marker in shown if marker not in content]
        assert not missing, f"{url} with {rows} rows does not show {missing[:3]}"
    counts = {rows: len(queries) for rows, queries in sql.items()}
    most = "\n".join(sql[ROWS[-1]])
    assert len(set(counts.values())) == 1, f"{url} grows with its rows: {counts}\n{most}"
    assert counts[ROWS[-1]] <= ceiling, f"{url}: {counts} queries, ceiling {ceiling}\n{most}"
    return counts


@pytest.fixture(autouse=True)
def vat(world) -> TaxRate:
    return TaxRate.objects.create(
        tenant=world.acme, name="Standard", rate=Decimal(19), is_default=True
    )


def finalized(world, n: int) -> Invoice:
    """An open invoice of alpha's, issued 1 March, due long before TODAY."""
    invoice = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    invoice_add_line(
        invoice=invoice, description=f"Work {n}", unit_price=Decimal(100 + n), actor=SYSTEM
    )
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 1))


def link(path: str) -> str:
    return f'href="{path}"'


# Billing ------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_invoices_page_costs_the_same_with_1_and_30_invoices_and_credit_notes(world):
    """Each row: a finalized invoice and a credit note for part of it (the second table)."""

    def add_rows(numbers: range) -> list[str]:
        markers = []
        for n in numbers:
            invoice = finalized(world, n)
            note = credit_note_issue(
                invoice=invoice,
                actor=SYSTEM,
                today=TODAY,
                reason=f"Reason {n}",
                quantities={invoice.lines.get().pk: Decimal("0.5")},
            )
            markers += [
                link(f"/invoices/{invoice.pk}/"),
                link(f"/invoices/credit-notes/{note.pk}/pdf"),
            ]
        return markers

    assert_flat(world.client(world.alice), "/invoices/", add_rows, ceiling=8)


@time_machine.travel(NOW, tick=False)
def test_the_statement_costs_the_same_with_1_and_30_invoices_paid(world):
    def add_rows(numbers: range) -> list[str]:
        markers = []
        for n in numbers:
            invoice = finalized(world, n)
            invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=invoice.gross_amount)
            markers += [f">Invoice {invoice.number}</td>", f">Payment {invoice.number}</td>"]
        return markers

    url = "/invoices/statement/?start=2026-01-01&end=2026-04-30"
    assert_flat(world.client(world.alice), url, add_rows, ceiling=12)


@time_machine.travel(NOW, tick=False)
def test_the_payments_page_costs_the_same_with_1_and_30_payments(world):
    """Each row: a bank transfer recorded against an invoice, which the row links to."""

    def add_rows(numbers: range) -> list[str]:
        markers = []
        for n in numbers:
            invoice = finalized(world, n)
            invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=invoice.gross_amount)
            payment = invoice.allocations.get().payment
            markers += [
                link(f"/payments/{payment.pk}/receipt"),
                f"{link(f'/invoices/{invoice.pk}/')}>{invoice.number}</a>",
            ]
        return markers

    assert_flat(world.client(world.alice), "/payments/", add_rows, ceiling=8)


def test_the_payment_methods_page_costs_the_same_with_1_and_30_cards(world, stripe_acme):
    """Cards saved the way the portal saves them: set up at (fake) Stripe, then kept."""

    def add_rows(numbers: range) -> list[str]:
        return [
            link(f"/payment-methods/{save_card(world, stripe_acme).pk}/remove/") for _ in numbers
        ]

    assert_flat(world.client(world.alice), "/payment-methods/", add_rows, ceiling=7)


@time_machine.travel(NOW, tick=False)
def test_the_recurring_invoices_cost_the_same_with_1_and_30_subscriptions_invoiced(world):
    """Each row: a subscription with an option, and the invoices the billing run made of it."""
    tariff = TariffFactory(module__tenant=world.acme, name="Team", price="49")
    seat = OptionFactory(tenant=world.acme, name="Extra seat", unit_price="3.00")
    tariff.options.add(seat)
    manager = world.staff["acme", "manager"]

    def add_rows(numbers: range) -> list[str]:
        made = []
        for _n in numbers:
            subscription = subscription_order(
                customer=world.alpha, tariff=tariff, actor=SYSTEM, start_on=date(2026, 3, 1)
            )
            subscription_option_add(
                subscription=subscription, option=seat, actor=manager, today=TODAY
            )
            made.append(subscription)
        billing_run(today=TODAY)
        markers = []
        for subscription in made:
            invoices = list(subscription.invoices.all())
            assert len(invoices) == 2  # March and April
            markers.append(link(f"/subscriptions/{subscription.pk}/"))
            markers += [link(f"/invoices/{invoice.pk}/") for invoice in invoices]
        return markers

    assert_flat(world.client(world.alice), "/invoices/recurring/", add_rows, ceiling=8)


@time_machine.travel(NOW, tick=False)
def test_the_credits_page_costs_the_same_with_1_and_30_of_each_kind_of_row(world):
    """Each row: an active package on offer, a use of credits in the package history, a
    credit note left as money credit (the credit notes and the credit movements), and a
    department with the customer's access to it."""
    big = PackageFactory(tenant=world.acme, name="Big pack", credits=1000)
    package_purchase(customer=world.alpha, package=big, actor=world.alice, today=TODAY)

    def add_rows(numbers: range) -> list[str]:
        markers = []
        for n in numbers:
            package = PackageFactory(tenant=world.acme, name=f"Pack {n}")
            department = Department.objects.create(tenant=world.acme, name=f"Desk {n}")
            department_access_set(
                customer=world.alpha,
                department=department,
                enabled=True,
                actor=world.staff["acme", "billing"],
            )
            credits_use(
                customer=world.alpha, units=1, today=TODAY, reference=f"Ticket {n}", actor=SYSTEM
            )
            invoice = finalized(world, n)
            if invoice.amount_due:  # the credit of the last note went to it first
                invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=invoice.amount_due)
            note = credit_note_issue(invoice=invoice, actor=SYSTEM, today=TODAY, reason="Goodwill")
            markers += [
                f"<strong>{package.name}</strong>",
                f">Ticket {n}</td>",
                link(f"/invoices/credit-notes/{note.pk}/pdf"),
                f"Credit note {note.number}</td>",
                f'data-department="Desk {n}"',
            ]
        return markers

    assert_flat(world.client(world.alice), "/credits/", add_rows, ceiling=13)


# Subscriptions and orders --------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_subscriptions_page_costs_the_same_with_1_and_30_subscriptions(world):
    """Each row with what the list shows of it: its module, an option, a scheduled change."""
    helpdesk = ModuleFactory(tenant=world.acme, name="Helpdesk")
    basic = TariffFactory(module=helpdesk, name="Basic", price="10.00")
    pro = TariffFactory(module=helpdesk, name="Pro", price="25.00")
    pro.allowed_changes.add(basic)
    seat = OptionFactory(tenant=world.acme, name="Extra seat", unit_price="3.00")
    pro.options.add(seat)
    manager = world.staff["acme", "manager"]

    def add_rows(numbers: range) -> list[str]:
        markers = []
        for _n in numbers:
            subscription = subscription_order(
                customer=world.alpha, tariff=pro, actor=SYSTEM, start_on=date(2026, 2, 1)
            )
            subscription_option_add(
                subscription=subscription, option=seat, actor=manager, today=TODAY
            )
            subscription_change_tariff(
                subscription=subscription, target=basic, actor=manager, today=TODAY
            )
            markers.append(link(f"/subscriptions/{subscription.pk}/"))
        return markers

    client = world.client(world.alice)
    assert_flat(
        client, "/subscriptions/", add_rows, ceiling=8
    )  # + the VAT rate, for prices with VAT
    assert client.get("/subscriptions/").content.decode().count("Changes to Basic on") == 30


@time_machine.travel(NOW, tick=False)
def test_the_orders_page_costs_the_same_with_1_and_30_orders(world):
    """Each row: an order with its delivery timeline, advanced once with a note; every other
    one priced and invoiced (its payment state and invoice read from the invoice), some of
    those paid, some credited."""
    billing = world.staff["acme", "billing"]

    def add_rows(numbers: range) -> list[str]:
        markers = []
        for n in numbers:
            price = Decimal(10 + n) if n % 2 else None
            order = order_create(
                customer=world.alpha, title=f"Order {n}", actor=SYSTEM, amount=price
            )
            order_advance(order=order, actor=billing, note=f"Started {n}.")
            markers += [link(f"/orders/{order.pk}/"), f"Started {n}."]
            if price:
                invoice = order_invoice_now(order=order, actor=billing, today=TODAY)
                if n % 4 == 1:
                    invoice_mark_paid(invoice=invoice, actor=billing, amount=invoice.gross_amount)
                elif n % 8 == 3:
                    credit_note_issue(invoice=invoice, actor=billing, today=TODAY, reason="No")
                markers.append(link(f"/invoices/{invoice.pk}/"))
        return markers

    assert_flat(world.client(world.alice), "/orders/", add_rows, ceiling=8)


@time_machine.travel(NOW, tick=False)
def test_the_subscription_page_costs_the_same_with_1_and_30_invoices(world):
    """Its invoices: those of the run (Invoice.subscription) and others with a line of it."""
    helpdesk = ModuleFactory(tenant=world.acme, name="Helpdesk")
    basic = TariffFactory(module=helpdesk, name="Basic", price="10.00")
    subscription = subscription_order(
        customer=world.alpha, tariff=basic, actor=SYSTEM, start_on=date(2026, 4, 1)
    )
    billing_run(today=TODAY, tenant=world.acme)
    first = Invoice.objects.get(subscription=subscription)

    def add_rows(numbers: range) -> list[str]:
        markers = [link(f"/invoices/{first.pk}/")] if numbers.start == 0 else []
        for n in numbers:
            invoice = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
            invoice_add_line(
                invoice=invoice,
                description=f"Extra {n}",
                unit_price=Decimal(5 + n),
                actor=SYSTEM,
                subscription=subscription,
            )
            invoice = invoice_finalize(invoice=invoice, actor=SYSTEM, today=TODAY)
            markers.append(link(f"/invoices/{invoice.pk}/"))
        return markers

    # 15: the page also reads the module's own fields, any cancellation request (waiting or
    # refused) and the VAT rate (its price with VAT), once each, whatever the number of invoices.
    assert_flat(
        world.client(world.alice), f"/subscriptions/{subscription.pk}/", add_rows, ceiling=15
    )


# Quote requests ---------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_quote_requests_page_costs_the_same_with_1_and_30_requests(world):
    """Each row: a request for a tariff with an add-on option."""
    tariff = TariffFactory(module__tenant=world.acme, name="Team", price="49")
    seat = OptionFactory(tenant=world.acme, name="Extra seat", unit_price="3.00")
    tariff.options.add(seat)

    def add_rows(numbers: range) -> list[str]:
        markers = []
        for n in numbers:
            request = quote_request_create(
                customer=world.alpha,
                actor=world.alice,
                items=[ItemIn(tariff, n + 1, [seat])],
                note=f"Request {n}",
            )
            markers += [link(f"/quotes/requests/{request.pk}/"), f"Team × {n + 1} (+ Extra seat)"]
        return markers

    assert_flat(world.client(world.alice), "/quotes/requests/", add_rows, ceiling=8)


def test_the_quote_request_page_costs_the_same_with_1_and_30_tariffs_in_the_catalogue(world):
    """Each row: a module with a tariff of two prices and an add-on option."""

    def add_rows(numbers: range) -> list[str]:
        markers = []
        for n in numbers:
            tariff = TariffFactory(
                module=ModuleFactory(tenant=world.acme, name=f"Module {n:02}"),
                name=f"Tariff {n}",
                price="10.00",
            )
            tariff.prices.create(tenant=world.acme, description="Set-up share", unit_price=1)
            option = OptionFactory(tenant=world.acme, name=f"Option {n}", unit_price="2.00")
            tariff.options.add(option)
            markers += [f'name="quantity-{tariff.pk}"', f'value="{option.pk}"', "€11.00"]
        return markers

    assert_flat(world.client(world.alice), "/quotes/request/", add_rows, ceiling=8)


# The dashboard ----------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_dashboard_costs_the_same_for_a_person_acting_for_1_and_30_customers(world):
    """Its one list is the customers a person may act for (the switcher): alpha first, then
    29 more."""

    def add_rows(numbers: range) -> list[str]:
        names = []
        for n in numbers:
            if n == 0:
                names.append(world.alpha.name)
                continue
            customer = CustomerFactory(tenant=world.acme, name=f"Customer {n}")
            ContactFactory(customer=customer, user=world.alice)
            names.append(customer.name)
        return [f">{name}<" for name in names]

    # The shell's 5, plus one per dashboard block (test_dashboard.py grows those).
    assert_flat(world.client(world.alice), "/", add_rows, ceiling=14)


# Quotes ------------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_quotes_page_costs_the_same_with_1_and_30_quotes(world):
    """Each row: a quote awaiting approval, and one approved into an invoice, which its row
    links to."""

    def add_rows(numbers: range) -> list[str]:
        markers = []
        for _n in numbers:
            waiting = quote_send(
                quote=pending_quote(world.alpha, recurring=False, today=TODAY),
                actor=SYSTEM,
                today=TODAY,
            )
            done = quote_send(
                quote=pending_quote(world.alpha, recurring=False, today=TODAY),
                actor=SYSTEM,
                today=TODAY,
            )
            done = quote_approve(quote=done, actor=world.alice, approval=approval(), today=TODAY)
            markers += [
                link(f"/quotes/{waiting.pk}/"),
                link(f"/quotes/{done.pk}/"),
                f"{link(f'/invoices/{done.invoice_id}/')}>{done.invoice.number}</a>",
            ]
        return markers

    assert_flat(world.client(world.alice), "/quotes/", add_rows, ceiling=6)


@time_machine.travel(NOW, tick=False)
def test_the_billing_schedule_costs_the_same_with_1_and_30_subscriptions(world):
    """Each row: a monthly subscription with an option and a scheduled change to a yearly
    tariff — twelve months of invoices forecast for each, on the old tariff then the new."""
    tariff = TariffFactory(module__tenant=world.acme, name="Team", price="49")
    yearly = TariffFactory(
        module=tariff.module, name="Team yearly", price="490", interval_months=12
    )
    tariff.allowed_changes.add(yearly)
    seat = OptionFactory(tenant=world.acme, name="Extra seat", unit_price="3.00")
    tariff.options.add(seat)
    yearly.options.add(seat)
    manager = world.staff["acme", "manager"]

    def add_rows(numbers: range) -> list[str]:
        markers = []
        for _n in numbers:
            subscription = subscription_order(
                customer=world.alpha, tariff=tariff, actor=SYSTEM, start_on=date(2026, 5, 1)
            )
            subscription_option_add(
                subscription=subscription, option=seat, actor=manager, today=TODAY
            )
            subscription_change_tariff(
                subscription=subscription, target=yearly, actor=manager, today=TODAY
            )
            markers.append(link(f"/subscriptions/{subscription.pk}/"))
        return markers

    assert_flat(world.client(world.alice), "/subscriptions/schedule/", add_rows, ceiling=20)
