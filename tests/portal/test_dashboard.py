"""The dashboard: "where do I stand?" — each block with data and empty, what a contact's role
lets them do from it, the licence modules, and a query count that does not grow."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings

from billing.documents.credit_notes import credit_note_issue
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import Invoice, TaxRate
from billing.payments.services import invoice_mark_paid
from billing.run.services import billing_run
from core.licence import LicenceModule
from core.roles import SYSTEM
from quotes.lifecycle import quote_send
from subscriptions.credits import package_purchase
from subscriptions.orders import order_advance, order_create
from subscriptions.services import subscription_cancel, subscription_order
from tests.billing.test_payments import save_card
from tests.factories import ContactFactory, ModuleFactory, PackageFactory, TariffFactory
from tests.portal.test_list_query_counts import assert_flat
from tests.quotes.helpers import pending_quote

pytestmark = pytest.mark.django_db
NOW = "2026-04-20 10:00:00+02:00"
TODAY = date(2026, 4, 20)
LANGUAGES = [code for code, _ in settings.LANGUAGES]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def vat(frozen, world) -> TaxRate:
    return TaxRate.objects.create(
        tenant=world.acme, name="Standard", rate=Decimal(19), is_default=True
    )


def issued(world, amount: str = "100.00", *, day: date = date(2026, 3, 1), customer=None):
    invoice = invoice_create_draft(customer=customer or world.alpha, actor=SYSTEM)
    invoice_add_line(invoice=invoice, description="Work", unit_price=Decimal(amount), actor=SYSTEM)
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=day)


def helpdesk(world, *, name: str = "Helpdesk", price: str = "40.00", **tariff):
    module = ModuleFactory(tenant=world.acme, name=name, description="Tickets, chat and a FAQ.")
    return TariffFactory(module=module, name="Team", price=price, **tariff)


def dashboard(world, user=None) -> str:
    response = world.client(user or world.alice).get("/")
    assert response.status_code == 200
    return response.content.decode()


def block(page: str, block_id: str) -> str:
    """The HTML of one dashboard card (`<section … id="dash-…">` to its end)."""
    start = page.index(f'id="{block_id}"')
    return page[start : page.index("</section>", start)]


def member(world):
    return ContactFactory(customer=world.alpha, user__email="member@alpha.test", role="member").user


# The amount due ---------------------------------------------------------------------------------


class TestAmountDue:
    def test_it_sums_the_open_invoices_and_pays_the_oldest_first(self, world):
        older = issued(world, "100.00", day=date(2026, 3, 1))  # 119.00 with VAT, overdue
        newer = issued(world, "50.00", day=date(2026, 4, 15))  # 59.50
        invoice_mark_paid(invoice=newer, actor=SYSTEM, amount=Decimal("9.50"))
        paid = issued(world, "30.00")
        invoice_mark_paid(invoice=paid, actor=SYSTEM, amount=paid.gross_amount)
        issued(world, "999.00", customer=world.bravo)  # another customer's: not counted

        due = block(dashboard(world), "dash-due")
        assert "€169.00" in due  # 119.00 + 50.00 left
        assert "2 unpaid invoices" in due and "1 overdue" in due
        assert f'href="/invoices/{older.pk}/pay/"' in due
        assert f"Pay invoice {older.number}" in due
        assert 'href="/invoices/?show=unpaid"' in due

    def test_with_nothing_open_it_says_so_and_offers_no_payment(self, world):
        invoice = issued(world)
        invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=invoice.gross_amount)
        due = block(dashboard(world), "dash-due")
        assert "Nothing to pay" in due and "/pay/" not in due

    def test_a_member_sees_what_is_due_but_no_pay_button(self, world):
        issued(world)
        due = block(dashboard(world, member(world)), "dash-due")
        assert "€119.00" in due and "/pay/" not in due

    def test_the_business_and_the_account_head_the_page(self, world):
        page = dashboard(world)
        assert "Acme" in block(page, "dash-due") or "Acme" in page
        assert "Alpha Corp" in page and "A-1" in page and "Account owner" in page


# Subscriptions and the next charge ------------------------------------------------------------


class TestSubscriptions:
    def test_each_subscription_shows_its_plan_price_renewal_and_actions(self, world):
        tariff = helpdesk(world)
        tariff.allowed_changes.add(TariffFactory(module=tariff.module, name="Business"))
        subscription = subscription_order(
            customer=world.alpha, tariff=tariff, actor=SYSTEM, start_on=date(2026, 4, 1)
        )
        billing_run(today=TODAY, tenant=world.acme)
        subs = block(dashboard(world), "dash-subscriptions")
        assert f'href="/subscriptions/{subscription.pk}/"' in subs
        assert "Helpdesk" in subs and "Team" in subs and "Tickets, chat and a FAQ." in subs
        assert "€40.00" in subs and "excl. VAT" in subs and "€47.60" in subs and "incl. VAT" in subs
        assert "per month" in subs
        assert "Renews on 1 May 2026" in subs
        assert f'href="/subscriptions/{subscription.pk}/change/"' in subs
        assert f'href="/subscriptions/{subscription.pk}/cancel/"' in subs

    def test_a_plan_that_forbids_changes_in_the_portal_offers_no_links(self, world):
        tariff = helpdesk(world, portal_may_change=False, portal_may_cancel=False)
        tariff.allowed_changes.add(TariffFactory(module=tariff.module, name="Business"))
        subscription_order(
            customer=world.alpha, tariff=tariff, actor=SYSTEM, start_on=date(2026, 4, 1)
        )
        subs = block(dashboard(world), "dash-subscriptions")
        assert "/change/" not in subs and "/cancel/" not in subs

    def test_a_member_may_not_change_or_cancel(self, world):
        tariff = helpdesk(world)
        tariff.allowed_changes.add(TariffFactory(module=tariff.module, name="Business"))
        subscription_order(
            customer=world.alpha, tariff=tariff, actor=SYSTEM, start_on=date(2026, 4, 1)
        )
        subs = block(dashboard(world, member(world)), "dash-subscriptions")
        assert "Helpdesk" in subs
        assert "/change/" not in subs and "/cancel/" not in subs

    def test_a_cancelled_subscription_shows_its_end_and_no_cancel_link(self, world):
        subscription = subscription_order(
            customer=world.alpha, tariff=helpdesk(world), actor=SYSTEM, start_on=date(2026, 1, 1)
        )
        subscription_cancel(
            subscription=subscription,
            actor=world.staff["acme", "manager"],
            today=TODAY,
            reason="Too dear",
        )
        subs = block(dashboard(world), "dash-subscriptions")
        assert "Ends on" in subs and "/cancel/" not in subs

    def test_without_subscriptions_it_points_to_the_catalogue(self, world):
        subs = block(dashboard(world), "dash-subscriptions")
        assert "You have no subscriptions with Acme yet." in subs
        assert 'href="/order/"' in subs and "Order a module" in subs

    def test_without_subscriptions_a_member_is_not_offered_to_order(self, world):
        subs = block(dashboard(world, member(world)), "dash-subscriptions")
        assert "You have no subscriptions" in subs and 'href="/order/"' not in subs

    def test_the_next_charge_is_the_earliest_renewal_with_vat(self, world):
        first = subscription_order(
            customer=world.alpha, tariff=helpdesk(world), actor=SYSTEM, start_on=date(2026, 4, 1)
        )
        subscription_order(
            customer=world.alpha,
            tariff=helpdesk(world, name="Backup", price="10.00"),
            actor=SYSTEM,
            start_on=date(2026, 4, 1),
        )
        later = subscription_order(
            customer=world.alpha,
            tariff=helpdesk(world, name="Archive", price="5.00"),
            actor=SYSTEM,
            start_on=date(2026, 4, 10),
        )
        billing_run(today=TODAY, tenant=world.acme)
        first.refresh_from_db()
        later.refresh_from_db()
        assert first.next_invoice_on == date(2026, 5, 1) < later.next_invoice_on
        charge = block(dashboard(world), "dash-next-charge")
        assert "€59.50" in charge  # (40 + 10) × 1.19, Archive renews later
        assert "Helpdesk (Team)" in charge and "Backup (Team)" in charge
        assert "Archive" not in charge
        # acme takes no cards: the invoice comes by e-mail, paid by transfer.
        assert "bank transfer" in charge

    def test_the_next_charge_names_the_default_card_where_cards_are_taken(self, world, stripe_acme):
        subscription_order(
            customer=world.alpha, tariff=helpdesk(world), actor=SYSTEM, start_on=date(2026, 4, 1)
        )
        card = save_card(world, stripe_acme)
        page = dashboard(world)
        assert f"ending in {card.last4}" in block(page, "dash-next-charge")
        method = block(page, "dash-payment-method")
        assert f"•••• {card.last4}" in method and "Expires" in method
        assert 'href="/payment-methods/"' in method and ">Change<" in method

    def test_without_a_card_it_offers_to_add_one(self, world, stripe_acme):
        method = block(dashboard(world), "dash-payment-method")
        assert "No card saved yet." in method and 'href="/payment-methods/add/"' in method

    def test_a_member_sees_the_card_but_may_not_change_it(self, world, stripe_acme):
        card = save_card(world, stripe_acme)
        method = block(dashboard(world, member(world)), "dash-payment-method")
        assert f"•••• {card.last4}" in method and ">Change<" not in method

    def test_without_renewals_no_charge_is_announced(self, world):
        assert "No renewal is scheduled." in block(dashboard(world), "dash-next-charge")


# Invoices ----------------------------------------------------------------------------------------


class TestInvoices:
    def test_it_lists_the_last_five_with_their_download(self, world):
        invoices = [issued(world, str(10 + n), day=date(2026, 3, 1 + n)) for n in range(7)]
        box = block(dashboard(world), "dash-invoices")
        for invoice in invoices[-5:]:
            assert f'href="/invoices/{invoice.pk}/pdf"' in box
        for invoice in invoices[:2]:
            assert f'href="/invoices/{invoice.pk}/"' not in box
        assert "Overdue" in box and 'href="/invoices/"' in box

    def test_a_subscriptions_invoice_names_its_plan(self, world):
        subscription_order(
            customer=world.alpha, tariff=helpdesk(world), actor=SYSTEM, start_on=date(2026, 4, 1)
        )
        billing_run(today=TODAY, tenant=world.acme)
        assert "Helpdesk (Team)" in block(dashboard(world), "dash-invoices")

    def test_without_invoices_it_says_where_they_will_appear(self, world):
        assert "No invoices yet." in block(dashboard(world), "dash-invoices")


# Quotes, credit, orders ---------------------------------------------------------------------------


class TestWaitingAndCredit:
    def test_quotes_awaiting_an_answer_are_listed(self, world):
        quote = quote_send(quote=pending_quote(world.alpha, today=TODAY), actor=SYSTEM, today=TODAY)
        quotes = block(dashboard(world), "dash-quotes")
        assert "1 quote awaits your answer." in quotes
        assert f'href="/quotes/{quote.pk}/"' in quotes and "Review and approve" in quotes
        members = block(dashboard(world, member(world)), "dash-quotes")
        assert "Review and approve" not in members and "Review" in members

    def test_without_quotes_it_offers_to_request_one(self, world):
        quotes = block(dashboard(world), "dash-quotes")
        assert "No quote is waiting for you." in quotes and 'href="/quotes/request/"' in quotes

    def test_without_the_quotes_module_there_is_no_quotes_block(self, world):
        world.acme.licence_modules = [
            m for m in world.acme.licence_modules if m != LicenceModule.QUOTES
        ]
        world.acme.save()
        page = dashboard(world)
        assert 'id="dash-quotes"' not in page and "/quotes/" not in page

    def test_the_credit_balance_and_support_credits(self, world):
        invoice = issued(world)
        invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=invoice.gross_amount)
        credit_note_issue(invoice=invoice, actor=SYSTEM, today=TODAY, reason="Goodwill")
        package = PackageFactory(tenant=world.acme, name="Gold support", credits=25)
        package_purchase(customer=world.alpha, package=package, actor=world.alice, today=TODAY)
        credit = block(dashboard(world), "dash-credits")
        assert "€119.00" in credit
        assert "25 support credits left" in credit and "Gold support" in credit

    def test_without_credit_it_says_so_and_support_credits_follow_the_module(self, world):
        credit = block(dashboard(world), "dash-credits")
        assert "No credit on your account." in credit and "no support package" in credit
        world.acme.licence_modules = [
            m for m in world.acme.licence_modules if m != LicenceModule.VIP_SUPPORT
        ]
        world.acme.save()
        assert "support package" not in block(dashboard(world), "dash-credits")

    def test_orders_in_progress_show_their_stage(self, world):
        billing = world.staff["acme", "billing"]
        running = order_create(customer=world.alpha, title="Data migration", actor=SYSTEM)
        order_advance(order=running, actor=billing)
        done = order_create(customer=world.alpha, title="Set-up", actor=SYSTEM, stages=["Done"])
        orders = block(dashboard(world), "dash-orders")
        assert f'href="/orders/{running.pk}/"' in orders and "step 2 of" in orders
        assert f'href="/orders/{done.pk}/"' not in orders  # its one stage is reached

    def test_without_orders_in_progress_it_says_so(self, world):
        assert "No order in progress." in block(dashboard(world), "dash-orders")


# Outsiders, languages, queries --------------------------------------------------------------------


def test_another_customers_data_never_shows(world):
    theirs = issued(world, customer=world.bravo)
    subscription_order(
        customer=world.bravo, tariff=helpdesk(world), actor=SYSTEM, start_on=date(2026, 4, 1)
    )
    page = dashboard(world)
    assert theirs.number not in page and "Helpdesk" not in page and "Nothing to pay" in page


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_dashboard_answers_in_every_language(world, language):
    client = world.client(world.alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/")
    assert response.status_code == 200 and response["Content-Language"] == language
    assert f'<html lang="{language}">' in response.content.decode()


def test_the_dashboard_costs_the_same_with_1_and_30_of_everything(world, stripe_acme):
    """Each row: a subscription (with a tariff it may change to), an invoice, a quote awaiting
    approval, an order in progress and a credit note's credit; plus a saved card."""
    save_card(world, stripe_acme)
    billing = world.staff["acme", "billing"]
    package = PackageFactory(tenant=world.acme, name="Gold support", credits=25)
    package_purchase(customer=world.alpha, package=package, actor=world.alice, today=TODAY)

    def add_rows(numbers: range) -> list[str]:
        markers = []
        for n in numbers:
            tariff = helpdesk(world, name=f"Module {n}")
            tariff.allowed_changes.add(TariffFactory(module=tariff.module, name=f"Big {n}"))
            subscription = subscription_order(
                customer=world.alpha, tariff=tariff, actor=SYSTEM, start_on=date(2026, 4, 1)
            )
            invoice = issued(world, str(10 + n), day=date(2026, 4, 19))
            quote = quote_send(
                quote=pending_quote(world.alpha, recurring=False, today=TODAY),
                actor=SYSTEM,
                today=TODAY,
            )
            order = order_create(customer=world.alpha, title=f"Order {n}", actor=SYSTEM)
            order_advance(order=order, actor=billing)
            # Every subscription is listed; of the rest, the newest few (each block's limit).
            markers.append(f'href="/subscriptions/{subscription.pk}/change/"')
            made.append((invoice, quote, order))
        return markers

    made: list = []
    client = world.client(world.alice)
    assert_flat(client, "/", add_rows, ceiling=19)
    # The other blocks show their newest rows only (five invoices, three quotes and orders).
    page = client.get("/").content.decode()
    invoice, quote, order = made[-1]
    for marker in (f"/invoices/{invoice.pk}/pdf", f"/quotes/{quote.pk}/", f"/orders/{order.pk}/"):
        assert f'href="{marker}"' in page
    assert "30 quotes await your answer." in page
    assert Invoice.objects.filter(customer=world.alpha).count() == 30
