"""The quotes back office: Billing staff write drafts line by line and move quotes along with
the buttons of each status; Support reads; another business's quotes and requests are 404."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from core.models import AuditEntry
from core.roles import SYSTEM
from quotes.approval import quote_approve
from quotes.lifecycle import quote_send
from quotes.models import Quote, QuoteLineOption, QuoteRequest, QuoteStatus, RequestStatus
from quotes.requests import ItemIn, quote_request_create
from tests.conftest import client_for
from tests.factories import OptionFactory, TariffFactory
from tests.helpers import admin_form_data
from tests.portal.test_list_query_counts import assert_flat
from tests.quotes.helpers import TODAY, approval, default_rate, pending_quote

pytestmark = pytest.mark.django_db
NOW = "2026-03-10 10:00:00+01:00"
LIST = "/manage/quotes/quote/"


def page(quote: Quote, tail: str = "change/") -> str:
    return f"/manage/quotes/quote/{quote.pk}/{tail}"


def staff(world, role: str, tenant=None):
    tenant = tenant or world.acme
    return client_for(world.staff[tenant.slug, role], tenant)


def sent(world, **kwargs) -> Quote:
    quote = pending_quote(world.alpha, **kwargs)
    return quote_send(quote=quote, actor=SYSTEM, today=TODAY)


@pytest.fixture(autouse=True)
def _business_day():
    """The quotes' dates (validity, today's start) are the helpers' TODAY."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def catalogue(world):
    default_rate(world.acme)
    tariff = TariffFactory(module__tenant=world.acme, module__name="Helpdesk", name="Team")
    seat = OptionFactory(tenant=world.acme, name="Extra seat", unit_price="5.00")
    tariff.options.add(seat)
    return tariff, seat


class TestBillingWritesADraft:
    def test_a_draft_is_made_for_a_customer_and_written_line_by_line(self, world, catalogue):
        tariff, seat = catalogue
        client = staff(world, "billing")
        add = LIST + "add/"
        form = client.get(add)
        assert form.context["adminform"].form["currency"].value() == world.acme.default_currency
        response = client.post(
            add, admin_form_data(form, customer=world.alpha.pk, title="Helpdesk roll-out")
        )
        quote = Quote.objects.get()
        assert response.status_code == 302 and response["Location"] == page(quote)
        assert quote.status == QuoteStatus.DRAFT and quote.customer == world.alpha
        assert quote.valid_until == TODAY + timedelta(days=world.acme.quote_validity_days)

        # Its fields, a one-off line and a recurring line, in one save.
        response = client.post(
            page(quote),
            admin_form_data(
                client.get(page(quote)),
                introduction="As discussed.",
                deposit_kind="percent",
                deposit_value="50",
                **{
                    "lines-TOTAL_FORMS": "1",
                    "lines-0-description": "Set-up",
                    "lines-0-quantity": "1",
                    "lines-0-unit_price": "1000",
                    "lines-2-TOTAL_FORMS": "1",
                    "lines-2-0-tariff": str(tariff.pk),
                    "lines-2-0-quantity": "2",
                    "lines-2-0-unit_price": "40",
                    "lines-2-0-start_on": "2026-04-01",
                },
            ),
        )
        assert response.status_code == 302, [
            (f.prefix, f.errors)
            for i in response.context["inline_admin_formsets"]
            for f in i.formset.forms
        ] + [response.context["adminform"].form.errors]
        quote.refresh_from_db()
        one_off, recurring = quote.lines.order_by("position")
        assert (one_off.kind, one_off.tax_rate, one_off.gross_amount) == (
            "one_off",
            Decimal("20.00"),
            Decimal("1200.00"),
        )
        assert (recurring.kind, recurring.tariff, recurring.start_on) == (
            "recurring",
            tariff,
            date(2026, 4, 1),
        )
        assert quote.introduction == "As discussed."
        assert (quote.gross_amount, quote.deposit_amount) == (Decimal("1200.00"), Decimal("600.00"))

        # An add-on option the tariff offers, on the line's options page.
        options = page(quote, f"lines/{recurring.pk}/options/")
        assert options in client.get(page(quote)).content.decode()
        response = client.post(
            options,
            {
                "options-TOTAL_FORMS": "1",
                "options-INITIAL_FORMS": "0",
                "options-0-option": str(seat.pk),
                "options-0-quantity": "3",
            },
        )
        assert response.status_code == 302
        offered = QuoteLineOption.objects.get(line=recurring)
        assert (offered.option, offered.quantity, offered.unit_price) == (seat, 3, Decimal("5"))
        recurring.refresh_from_db()
        assert recurring.net_amount == Decimal("80.00") + Decimal("15.00")
        # The totals on the page are the services' (the one-off lines only).
        content = client.get(page(quote)).content.decode()
        assert "€1,000.00 / €200.00 / €1,200.00" in content
        assert "Extra seat × 3" in content

    def test_an_option_the_tariff_does_not_offer_is_refused(self, world, catalogue):
        other = OptionFactory(tenant=world.acme, name="Not offered")
        quote = pending_quote(world.alpha, staff=world.staff["acme", "billing"])
        line = quote.lines.get(kind="recurring")
        response = staff(world, "billing").post(
            page(quote, f"lines/{line.pk}/options/"),
            {
                "options-TOTAL_FORMS": "1",
                "options-INITIAL_FORMS": "0",
                "options-0-option": str(other.pk),
                "options-0-quantity": "1",
            },
        )
        assert response.status_code == 200 and response.context["formset"].errors[0]["option"]
        assert line.options.count() == 1  # the helper's option is left as it was

    def test_only_tariffs_of_the_business_can_be_chosen(self, world, catalogue):
        foreign = TariffFactory(module__tenant=world.globex)
        quote = pending_quote(world.alpha, recurring=False)
        client = staff(world, "billing")
        response = client.post(
            page(quote),
            admin_form_data(
                client.get(page(quote)),
                **{
                    "lines-2-TOTAL_FORMS": "1",
                    "lines-2-0-tariff": str(foreign.pk),
                    "lines-2-0-quantity": "1",
                },
            ),
        )
        assert response.status_code == 200 and response.context["errors"]
        assert not quote.lines.filter(kind="recurring").exists()

    def test_a_customer_of_another_business_cannot_be_chosen(self, world):
        client = staff(world, "billing")
        add = LIST + "add/"
        response = client.post(add, admin_form_data(client.get(add), customer=world.charlie_co.pk))
        assert response.status_code == 200 and not Quote.objects.exists()

    def test_a_sent_quotes_lines_are_read_only(self, world):
        quote = sent(world)
        client = staff(world, "billing")
        response = client.get(page(quote))
        assert response.status_code == 200
        assert not response.context["has_change_permission"]
        assert all(
            not inline.has_change_permission for inline in response.context["inline_admin_formsets"]
        )
        before = list(quote.lines.values_list("description", "unit_price"))
        client.post(page(quote), {"title": "Changed", "lines-TOTAL_FORMS": "0"})
        quote.refresh_from_db()
        assert quote.title == "Website"
        assert list(quote.lines.values_list("description", "unit_price")) == before

    def test_a_draft_is_deleted_through_the_service(self, world):
        quote = pending_quote(world.alpha)
        response = staff(world, "billing").post(page(quote, "delete/"), {"post": "yes"})
        assert response.status_code == 302 and not Quote.objects.exists()
        assert AuditEntry.objects.filter(action="quote.draft_delete").exists()


class TestButtons:
    def test_send_numbers_the_quote_and_emails_the_customer(
        self, world, eager_tasks, django_capture_on_commit_callbacks
    ):
        quote = pending_quote(world.alpha)
        client = staff(world, "billing")
        assert page(quote, "send/") in client.get(page(quote)).content.decode()
        confirm = client.get(page(quote, "send/"))
        assert confirm.status_code == 200 and "e-mailed" in confirm.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(page(quote, "send/"))
        assert response.status_code == 302
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.SENT and quote.number
        assert [m.to for m in mail.outbox] == [["alice@example.test"]]
        assert quote.number in mail.outbox[0].subject or quote.number in mail.outbox[0].body
        content = client.get(page(quote)).content.decode()
        assert page(quote, "send/") not in content  # not twice
        assert page(quote, "withdraw/") in content and page(quote, "pdf/") in content
        pdf = client.get(page(quote, "pdf/"))
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"

    def test_a_service_refusal_is_a_message_not_a_500(self, world):
        quote = pending_quote(world.alpha)
        quote.lines.all().delete()  # nothing to send
        response = staff(world, "billing").post(page(quote, "send/"), follow=True)
        assert response.status_code == 200
        assert "A quote needs at least one line." in response.content.decode()
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.DRAFT

    def test_a_transition_not_allowed_is_a_message(self, world):
        quote = pending_quote(world.alpha)
        response = staff(world, "billing").post(
            page(quote, "withdraw/"), {"reason": "x"}, follow=True
        )
        assert response.status_code == 200
        assert "cannot be changed that way" in response.content.decode()
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.DRAFT

    def test_duplicate_makes_a_new_draft_for_the_chosen_customer(self, world):
        quote = sent(world)
        response = staff(world, "billing").post(
            page(quote, "duplicate/"), {"customer": world.bravo.pk}
        )
        copy = Quote.objects.exclude(pk=quote.pk).get()
        assert response.status_code == 302 and response["Location"] == page(copy)
        assert (copy.status, copy.customer, copy.number) == ("draft", world.bravo, "")
        assert copy.lines.count() == quote.lines.count()

    def test_duplicate_offers_only_the_businesss_customers(self, world):
        quote = sent(world)
        response = staff(world, "billing").post(
            page(quote, "duplicate/"), {"customer": world.charlie_co.pk}
        )
        assert response.status_code == 200 and response.context["form"].errors
        assert Quote.objects.count() == 1

    def test_revise_drafts_the_next_version_and_opens_it(self, world):
        quote = sent(world)
        client = staff(world, "billing")
        response = client.post(page(quote, "revise/"))
        new = Quote.objects.get(revision_of=quote)
        assert response.status_code == 302 and response["Location"] == page(new)
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.SUPERSEDED
        assert (new.number, new.version, new.status) == (quote.number, 2, "draft")
        content = client.get(page(new)).content.decode()
        assert page(quote) in content  # the previous version
        assert page(new) in client.get(page(quote)).content.decode()  # and back

    def test_withdraw_asks_for_a_reason(self, world):
        quote = sent(world)
        client = staff(world, "billing")
        assert client.post(page(quote, "withdraw/"), {"reason": ""}).status_code == 200
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.SENT
        client.post(page(quote, "withdraw/"), {"reason": "Customer chose another offer"})
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.WITHDRAWN
        event = quote.events.get(kind="withdrawn")
        assert event.data == {"reason": "Customer chose another offer"}
        assert "Customer chose another offer" in client.get(page(quote)).content.decode()

    def test_mark_expired(self, world):
        quote = sent(world)
        client = staff(world, "billing")
        assert client.post(page(quote, "expire/")).status_code == 302
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.EXPIRED
        content = client.get(page(quote)).content.decode()
        assert page(quote, "revise/") in content and page(quote, "expire/") not in content

    def test_invoice_the_balance_of_a_quote_with_a_deposit(self, world):
        quote = sent(world, deposit=("percent", Decimal(30)))
        quote = quote_approve(
            quote=quote, actor=world.alice, approval=approval(name="Alice"), today=TODAY
        )
        client = staff(world, "billing")
        content = client.get(page(quote)).content.decode()
        deposit = quote.deposit_invoice
        assert f"/manage/billing/invoice/{deposit.pk}/change/" in content
        assert "Alice" in content  # the approval record
        assert page(quote, "invoice_balance/") in content
        assert client.post(page(quote, "invoice_balance/")).status_code == 302
        quote.refresh_from_db()
        assert quote.invoice.gross_amount == quote.gross_amount - deposit.gross_amount
        content = client.get(page(quote)).content.decode()
        assert f"/manage/billing/invoice/{quote.invoice.pk}/change/" in content
        assert page(quote, "invoice_balance/") not in content
        again = client.post(page(quote, "invoice_balance/"), follow=True)
        assert again.status_code == 200 and quote.invoice_id == Quote.objects.get().invoice_id


class TestSupportReads:
    def test_support_reads_everything_and_gets_no_write_buttons(self, world):
        quote = sent(world)
        client = staff(world, "support")
        assert client.get(LIST).status_code == 200
        response = client.get(page(quote))
        assert response.status_code == 200
        content = response.content.decode()
        assert page(quote, "pdf/") in content
        for action in ("withdraw", "revise", "expire", "duplicate"):
            assert page(quote, f"{action}/") not in content
        assert 'id="quote-events"' in content and 'id="quote-audit"' in content
        assert client.get(LIST + "add/").status_code == 403

    @pytest.mark.parametrize("action", ["send", "duplicate", "withdraw", "revise", "expire"])
    def test_support_is_refused_on_every_post(self, world, action):
        quote = pending_quote(world.alpha) if action == "send" else sent(world)
        status = quote.status
        client = staff(world, "support")
        assert client.get(page(quote, f"{action}/")).status_code == 403
        response = client.post(
            page(quote, f"{action}/"), {"reason": "x", "customer": world.alpha.pk}
        )
        assert response.status_code == 403
        quote.refresh_from_db()
        assert quote.status == status and Quote.objects.count() == 1

    def test_support_cannot_edit_a_draft_or_its_options(self, world):
        quote = pending_quote(world.alpha)
        line = quote.lines.get(kind="recurring")
        client = staff(world, "support")
        assert client.post(page(quote), {"title": "Changed"}).status_code == 403
        assert client.post(page(quote, "delete/"), {"post": "yes"}).status_code == 403
        options = page(quote, f"lines/{line.pk}/options/")
        assert client.get(options).status_code == 200
        assert client.post(options, {"options-TOTAL_FORMS": "0"}).status_code == 403
        assert Quote.objects.get().title == "Website" and line.options.count() == 1


class TestOtherBusinesses:
    def test_another_businesss_quote_is_a_404_everywhere(self, world):
        quote = sent(world)
        line = quote.lines.get(kind="recurring")
        client = staff(world, "owner", world.globex)
        for tail in (
            "change/",
            "history/",
            "delete/",
            "pdf/",
            "send/",
            "withdraw/",
            "revise/",
            "duplicate/",
            f"lines/{line.pk}/options/",
        ):
            assert client.get(page(quote, tail)).status_code == 404, tail
        assert client.post(page(quote, "withdraw/"), {"reason": "x"}).status_code == 404
        listing = client.get(LIST)
        assert listing.status_code == 200 and quote not in listing.context["cl"].result_list
        quote.refresh_from_db()
        assert quote.status == QuoteStatus.SENT

    def test_junk_ids_are_404s(self, world):
        quote = pending_quote(world.alpha)
        client = staff(world, "billing")
        assert client.get(f"{LIST}99999999999999999999/send/").status_code == 404
        assert client.get(page(quote, "lines/99999999999999999999/options/")).status_code == 404
        one_off = quote.lines.filter(kind="one_off").first()
        assert client.get(page(quote, f"lines/{one_off.pk}/options/")).status_code == 404


class TestRequests:
    @pytest.fixture
    def open_request(self, world, catalogue):
        tariff, seat = catalogue
        return quote_request_create(
            customer=world.alpha,
            actor=world.alice,
            items=[ItemIn(tariff, 2, [seat])],
            note="We need it by May.",
        )

    def test_the_list_shows_what_was_asked(self, world, open_request):
        response = staff(world, "support").get("/manage/quotes/quoterequest/")
        content = response.content.decode()
        assert response.status_code == 200
        assert "Helpdesk — Team × 2" in content and "Extra seat" in content
        assert "We need it by May." in content
        filtered = staff(world, "support").get("/manage/quotes/quoterequest/?status__exact=closed")
        assert open_request not in filtered.context["cl"].result_list

    def test_a_request_becomes_a_draft_quote(self, world, open_request):
        url = f"/manage/quotes/quoterequest/{open_request.pk}/"
        client = staff(world, "billing")
        assert f"{url}to_draft/" in client.get(f"{url}change/").content.decode()
        response = client.post(f"{url}to_draft/")
        quote = Quote.objects.get()
        assert response.status_code == 302 and response["Location"] == page(quote)
        open_request.refresh_from_db()
        assert (open_request.status, open_request.quote) == (RequestStatus.QUOTED, quote)
        line = quote.lines.get()
        assert (line.quantity, line.options.get().option.name) == (2, "Extra seat")
        # Handled: no buttons any more, and a second try is a message.
        assert f"{url}to_draft/" not in client.get(f"{url}change/").content.decode()
        again = client.post(f"{url}to_draft/", follow=True)
        assert "handled already" in again.content.decode() and Quote.objects.count() == 1

    def test_a_request_is_closed(self, world, open_request):
        url = f"/manage/quotes/quoterequest/{open_request.pk}/"
        assert staff(world, "billing").post(f"{url}close/").status_code == 302
        open_request.refresh_from_db()
        assert open_request.status == RequestStatus.CLOSED and not Quote.objects.exists()

    def test_support_reads_requests_but_is_refused_the_buttons(self, world, open_request):
        url = f"/manage/quotes/quoterequest/{open_request.pk}/"
        client = staff(world, "support")
        content = client.get(f"{url}change/").content.decode()
        assert "We need it by May." in content and f"{url}to_draft/" not in content
        assert client.post(f"{url}to_draft/").status_code == 403
        assert client.post(f"{url}close/").status_code == 403
        assert QuoteRequest.objects.get().status == RequestStatus.OPEN

    def test_another_businesss_request_is_a_404(self, world, open_request):
        url = f"/manage/quotes/quoterequest/{open_request.pk}/"
        client = staff(world, "owner", world.globex)
        for tail in ("change/", "to_draft/", "close/"):
            assert client.get(f"{url}{tail}").status_code == 404
        assert client.post(f"{url}to_draft/").status_code == 404
        assert QuoteRequest.objects.get().status == RequestStatus.OPEN


class TestQueryCounts:
    """The back-office lists cost the same with 1 and 30 rows (each row shown, with what the
    list says of it)."""

    def test_the_quote_list(self, world):
        def add_rows(numbers: range) -> list[str]:
            markers = []
            for n in numbers:
                quote = sent(world) if n % 2 else pending_quote(world.bravo)
                markers.append(f'href="{page(quote)}"')
            return markers

        assert_flat(staff(world, "support"), LIST, add_rows, ceiling=9)

    def test_the_request_list(self, world, catalogue):
        tariff, seat = catalogue

        def add_rows(numbers: range) -> list[str]:
            markers = []
            for n in numbers:
                row = quote_request_create(
                    customer=world.alpha,
                    actor=world.alice,
                    items=[ItemIn(tariff, 1, [seat]), ItemIn(tariff, 2)],
                    note=f"Note {n}",
                )
                markers += [f"/manage/quotes/quoterequest/{row.pk}/change/", f"Note {n}"]
            return markers

        assert_flat(staff(world, "support"), "/manage/quotes/quoterequest/", add_rows, ceiling=13)


class TestWhatItBecameLinksBack:
    def test_the_invoice_and_subscription_pages_name_their_quote(self, world):
        quote = quote_approve(
            quote=sent(world), actor=world.alice, approval=approval(), today=TODAY
        )
        client = staff(world, "support")
        invoice_page = client.get(f"/manage/billing/invoice/{quote.invoice_id}/change/")
        assert "From quote" in invoice_page.content.decode()
        assert page(quote) in invoice_page.content.decode()
        (subscription,) = quote.subscriptions.all()
        sub_page = client.get(f"/manage/subscriptions/subscription/{subscription.pk}/change/")
        assert page(quote) in sub_page.content.decode()

    def test_an_invoice_of_no_quote_says_so(self, world):
        quote = quote_approve(
            quote=sent(world), actor=world.alice, approval=approval(), today=TODAY
        )
        other = quote.invoice
        Quote.objects.filter(pk=quote.pk).update(invoice=None)
        html = staff(world, "support").get(f"/manage/billing/invoice/{other.pk}/change/")
        assert page(quote) not in html.content.decode()
