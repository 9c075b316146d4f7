"""Quote requests: a contact asks from the portal's catalogue, staff are told once, and staff
turn the request into a draft quote or close it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from contracts.models import Contact
from core.roles import ContactRole
from quotes.models import LineKind, QuoteRequest, QuoteStatus, RequestStatus
from quotes.requests import (
    ItemIn,
    quote_request_close,
    quote_request_create,
    quote_request_to_draft,
    send_quote_request_notice,
)
from quotes.services import quote_delete_draft
from quotes.tasks import send_quote_request_email
from tests.factories import ContactFactory, ModuleFactory, OptionFactory, TariffFactory
from tests.quotes.helpers import TODAY, default_rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(world):
    """Acme's helpdesk: Team (49/month, an extra agent at 9/month, a 3-month minimum term) and
    Yearly (490/year, no options); a tariff no longer on sale; and globex's own tariff."""
    helpdesk = ModuleFactory(tenant=world.acme, name="Helpdesk")
    team = TariffFactory(module=helpdesk, name="Team", price="49.00", minimum_term_months=3)
    yearly = TariffFactory(module=helpdesk, name="Yearly", price="490.00", interval_months=12)
    agent = OptionFactory(tenant=world.acme, name="Extra agent", unit_price="9.00")
    sms = OptionFactory(tenant=world.acme, name="SMS alerts", unit_price="2.00")
    team.options.add(agent)
    yearly_only = OptionFactory(tenant=world.acme, name="Archive", unit_price="1.00")
    yearly.options.add(yearly_only)
    retired = TariffFactory(module=helpdesk, name="Legacy", price="5.00", is_active=False)
    theirs = TariffFactory(module__tenant=world.globex, name="Coaching", price="150.00")
    return {
        "team": team,
        "yearly": yearly,
        "agent": agent,
        "sms": sms,
        "archive": yearly_only,
        "retired": retired,
        "theirs": theirs,
    }


def member_of_alpha(world):
    return ContactFactory(
        customer=world.alpha, role=ContactRole.MEMBER, user__email="mia@example.test"
    ).user


def post_request(client, **data):
    return client.post("/quotes/request/", data)


class TestThePortalPage:
    def test_it_shows_the_catalogue_with_prices_terms_and_options(self, world, catalogue):
        page = world.client(world.alice).get("/quotes/request/").content.decode()
        assert "Helpdesk" in page and "Team" in page and "Yearly" in page
        assert "€49.00" in page and "per month" in page
        assert "€490.00" in page and "per year" in page
        assert "Minimum term 3 months" in page and "No minimum term" in page
        assert "Extra agent" in page and "+ €9.00 per month" in page
        assert "Legacy" not in page  # not on sale
        assert "Coaching" not in page  # another business's

    def test_a_member_contact_asks_for_a_quote_and_sees_it_listed(
        self, world, catalogue, eager_tasks
    ):
        member = member_of_alpha(world)
        client = world.client(member)
        team, yearly = catalogue["team"], catalogue["yearly"]
        response = post_request(
            client,
            tariffs=[team.pk, yearly.pk],
            **{
                f"quantity-{team.pk}": "3",
                f"options-{team.pk}": [catalogue["agent"].pk],
                f"quantity-{yearly.pk}": "1",
            },
            note="  For our support team, from May.  ",
        )
        request = QuoteRequest.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/quotes/requests/{request.pk}/"
        assert (request.customer, request.requested_by) == (world.alpha, member)
        assert request.status == RequestStatus.OPEN
        assert request.note == "For our support team, from May."
        items = list(request.items.order_by("id"))
        assert [(i.tariff, i.quantity) for i in items] == [(team, 3), (yearly, 1)]
        assert list(items[0].options.all()) == [catalogue["agent"]]
        assert list(items[1].options.all()) == []

        detail = client.get(response["Location"]).content.decode()
        assert "your quote request is with Acme" in detail
        assert "Helpdesk — Team" in detail and "Extra agent" in detail
        listed = client.get("/quotes/requests/").content.decode()
        assert f'href="/quotes/requests/{request.pk}/"' in listed
        assert "Helpdesk — Team × 3 (+ Extra agent)" in listed
        assert "Open" in listed

    def test_a_note_alone_is_a_request(self, world, catalogue, eager_tasks):
        response = post_request(world.client(world.alice), note="Something bespoke, please.")
        assert response.status_code == 302
        request = QuoteRequest.objects.get()
        assert request.note == "Something bespoke, please." and not request.items.exists()

    def test_an_empty_quantity_means_one(self, world, catalogue, eager_tasks):
        team = catalogue["team"]
        post_request(world.client(world.alice), tariffs=[team.pk], **{f"quantity-{team.pk}": ""})
        assert QuoteRequest.objects.get().items.get().quantity == 1

    @pytest.mark.parametrize(
        ("data", "error"),
        [
            ({}, "Choose at least one tariff, or tell us what you need in the note."),
            ({"note": "   "}, "Choose at least one tariff, or tell us what you need in the note."),
            ({"tariffs": ["team"], "quantity-team": "0"}, "Ask for at least one."),
            ({"tariffs": ["team"], "quantity-team": "-1"}, "Ask for at least one."),
            ({"tariffs": ["team"], "quantity-team": "10000"}, "Ask for at most 9999."),
            ({"tariffs": ["team"], "quantity-team": "1e29"}, "Enter a whole number."),
            ({"tariffs": ["team"], "quantity-team": "abc"}, "Enter a whole number."),
            ({"tariffs": ["team"], "quantity-team": "1.5"}, "Enter a whole number."),
            ({"tariffs": ["99999999"]}, "Choose tariffs from the catalogue."),
            ({"tariffs": ["abc"]}, "Choose tariffs from the catalogue."),
            ({"tariffs": ["retired"]}, "Choose tariffs from the catalogue."),
            ({"tariffs": ["theirs"]}, "Choose tariffs from the catalogue."),
            (
                {"tariffs": ["team"], "options-team": ["sms"]},
                "Choose add-on options offered with this tariff.",
            ),
            (
                {"tariffs": ["team"], "options-team": ["archive"]},
                "Choose add-on options offered with this tariff.",
            ),
            (
                {"options-team": ["agent"], "note": "x"},
                "Tick the tariff too, to ask for its add-on options.",
            ),
            ({"note": "x" * 2001}, "Ensure this value has at most 2000 characters"),
            ({"note": "nul \x00 byte"}, None),  # refused before any view runs
        ],
    )
    def test_bad_input_is_refused_with_a_message_and_nothing_stored(
        self, world, catalogue, eager_tasks, data, error
    ):
        def resolve(value):
            return str(catalogue[value].pk) if value in catalogue else value

        payload = {}
        for key, value in data.items():
            name, _dash, tariff = key.partition("-")
            key = f"{name}-{catalogue[tariff].pk}" if tariff in catalogue else key
            payload[key] = [resolve(v) for v in value] if isinstance(value, list) else value
        response = post_request(world.client(world.alice), **payload)
        assert response.status_code in (200, 400)
        if error is not None:
            assert response.status_code == 200
            page = response.content.decode()
            assert 'class="errorlist' in page and error in page
        assert not QuoteRequest.objects.exists()
        assert not mail.outbox

    def test_errors_come_in_the_readers_language(self, world, catalogue):
        team = catalogue["team"]
        client = world.client(world.alice)
        client.cookies["django_language"] = "fr"
        response = post_request(client, tariffs=[team.pk], **{f"quantity-{team.pk}": "abc"})
        assert "Saisissez un nombre entier." in response.content.decode()

    def test_more_than_twenty_tariffs_are_refused_by_the_service_as_a_form_error(
        self, world, eager_tasks
    ):
        tariffs = [TariffFactory(module__tenant=world.acme, price="1.00") for _ in range(21)]
        response = post_request(world.client(world.alice), tariffs=[t.pk for t in tariffs])
        assert response.status_code == 200
        assert "Ask for at most 20 items at once." in response.content.decode()
        assert not QuoteRequest.objects.exists()

    def test_staff_without_a_customer_cannot_use_the_page(self, world, catalogue):
        response = world.client(world.staff["acme", "owner"]).get("/quotes/request/")
        assert response.status_code == 403

    def test_the_list_shows_only_the_customers_own_requests(self, world, catalogue, eager_tasks):
        mine = quote_request_create(customer=world.alpha, actor=world.alice, items=[], note="A")
        theirs = quote_request_create(customer=world.bravo, actor=world.bob, items=[], note="B")
        page = world.client(world.alice).get("/quotes/requests/").content.decode()
        assert f"/quotes/requests/{mine.pk}/" in page
        assert f"/quotes/requests/{theirs.pk}/" not in page

    def test_the_dashboard_leads_to_the_request_page(self, world):
        page = world.client(world.alice).get("/").content.decode()
        assert 'href="/quotes/request/"' in page


class TestTheService:
    def test_another_businesss_tariff_is_refused(self, world, catalogue):
        with pytest.raises(ValidationError, match="not on sale"):
            quote_request_create(
                customer=world.alpha,
                actor=world.alice,
                items=[ItemIn(catalogue["theirs"])],
                note="",
            )
        assert not QuoteRequest.objects.exists()

    def test_an_option_not_offered_is_refused(self, world, catalogue):
        with pytest.raises(ValidationError):
            quote_request_create(
                customer=world.alpha,
                actor=world.alice,
                items=[ItemIn(catalogue["team"], 1, [catalogue["sms"]])],
            )

    def test_tariffs_in_two_currencies_are_refused_as_one_quote_has_one(self, world, catalogue):
        francs = TariffFactory(module=catalogue["team"].module, currency="CHF")
        with pytest.raises(ValidationError, match="one currency"):
            quote_request_create(
                customer=world.alpha,
                actor=world.alice,
                items=[ItemIn(catalogue["team"]), ItemIn(francs)],
            )
        assert not QuoteRequest.objects.exists()

    def test_a_tariff_of_a_module_taken_off_sale_is_refused(self, world, catalogue):
        module = catalogue["team"].module
        module.is_active = False
        module.save(update_fields=["is_active"])
        with pytest.raises(ValidationError, match="not on sale"):
            quote_request_create(
                customer=world.alpha, actor=world.alice, items=[ItemIn(catalogue["team"])]
            )

    def test_a_contact_of_another_customer_may_not_ask_for_this_one(self, world, catalogue):
        with pytest.raises(PermissionDenied):
            quote_request_create(customer=world.alpha, actor=world.bob, items=[], note="Hi")

    def test_an_inactive_contact_may_not_ask(self, world, catalogue):
        Contact.objects.filter(user=world.alice).update(is_active=False)
        with pytest.raises(PermissionDenied):
            quote_request_create(customer=world.alpha, actor=world.alice, items=[], note="Hi")


class TestTheStaffEmail:
    def test_the_notification_addresses_are_emailed_once_even_if_the_task_runs_twice(
        self, world, catalogue, eager_tasks, django_capture_on_commit_callbacks
    ):
        world.acme.notification_email = "sales@acme.test"
        world.acme.save(update_fields=["notification_email"])
        team = catalogue["team"]
        with django_capture_on_commit_callbacks(execute=True):
            post_request(
                world.client(world.alice),
                tariffs=[team.pk],
                **{f"quantity-{team.pk}": "2", f"options-{team.pk}": [catalogue["agent"].pk]},
                note="Please call us.",
            )
        request = QuoteRequest.objects.get()
        assert len(mail.outbox) == 1
        (message,) = mail.outbox
        assert message.to == ["sales@acme.test"]
        assert "Alpha Corp" in message.subject + message.body
        assert f"/manage/quotes/quoterequest/{request.pk}/change/" in message.body
        request.refresh_from_db()
        assert request.notified_at is not None

        send_quote_request_email.delay(request.pk)  # the task again (a retry): no second mail
        assert send_quote_request_notice(request.pk) is False
        assert len(mail.outbox) == 1

    def test_without_notification_addresses_billing_staff_and_up_are_emailed(
        self, world, catalogue, eager_tasks, django_capture_on_commit_callbacks
    ):
        world.acme.notification_email, world.acme.notification_cc_emails = "", []
        world.acme.save(update_fields=["notification_email", "notification_cc_emails"])
        with django_capture_on_commit_callbacks(execute=True):
            quote_request_create(customer=world.alpha, actor=world.alice, items=[], note="Hello")
        (message,) = mail.outbox
        assert sorted(message.to) == ["billing@acme.test", "manager@acme.test", "owner@acme.test"]


class TestStaffHandleIt:
    def requested(self, world, catalogue) -> QuoteRequest:
        team, yearly = catalogue["team"], catalogue["yearly"]
        return quote_request_create(
            customer=world.alpha,
            actor=world.alice,
            items=[
                ItemIn(team, 2, [catalogue["agent"]]),
                ItemIn(yearly, 1, [catalogue["archive"]]),
            ],
            note="From May, please.",
        )

    def test_a_draft_gets_one_recurring_line_per_item_at_catalogue_prices(
        self, world, catalogue, eager_tasks
    ):
        default_rate(world.acme)
        request = self.requested(world, catalogue)
        staff = world.staff["acme", "billing"]
        quote = quote_request_to_draft(request=request, actor=staff, today=TODAY)

        assert quote.status == QuoteStatus.DRAFT and quote.customer == world.alpha
        assert quote.introduction == "From May, please."
        lines = list(quote.lines.order_by("position"))
        assert [(li.kind, li.tariff, li.quantity, li.unit_price) for li in lines] == [
            (LineKind.RECURRING, catalogue["team"], Decimal(2), Decimal("49.0000")),
            (LineKind.RECURRING, catalogue["yearly"], Decimal(1), Decimal("490.0000")),
        ]
        assert all(li.start_on == TODAY for li in lines)
        team_options = [(o.option, o.quantity, o.unit_price) for o in lines[0].options.all()]
        assert team_options == [(catalogue["agent"], 1, Decimal("9.0000"))]
        (archive,) = lines[1].options.all()
        assert (archive.option, archive.unit_price) == (catalogue["archive"], Decimal("1.0000"))
        # Team: 2 × 49 + 9/month; Yearly: 490 + 12 months × 1.
        assert lines[0].net_amount == Decimal("98.00") + Decimal("9.00")
        assert lines[1].net_amount == Decimal("490.00") + Decimal("12.00")

        request.refresh_from_db()
        assert (request.status, request.quote) == (RequestStatus.QUOTED, quote)
        with pytest.raises(ValidationError, match="handled already"):
            quote_request_to_draft(request=request, actor=staff, today=TODAY)
        assert quote.customer.quotes.count() == 1

        page = world.client(world.alice).get("/quotes/requests/").content.decode()
        assert "Quote drafted" in page

    def test_support_staff_may_not_draft_from_a_request(self, world, catalogue, eager_tasks):
        request = self.requested(world, catalogue)
        with pytest.raises(PermissionDenied):
            quote_request_to_draft(
                request=request, actor=world.staff["acme", "support"], today=TODAY
            )

    def test_closing_ends_the_request_without_a_quote(self, world, catalogue, eager_tasks):
        request = self.requested(world, catalogue)
        staff = world.staff["acme", "manager"]
        quote_request_close(request=request, actor=staff)
        request.refresh_from_db()
        assert request.status == RequestStatus.CLOSED and request.quote is None
        with pytest.raises(ValidationError, match="handled already"):
            quote_request_close(request=request, actor=staff)
        with pytest.raises(ValidationError, match="handled already"):
            quote_request_to_draft(request=request, actor=staff, today=TODAY)
        page = world.client(world.alice).get(f"/quotes/requests/{request.pk}/").content.decode()
        assert "Closed" in page and "answered this request without a quote" in page

    def test_deleting_the_draft_opens_the_request_again(self, world, catalogue, eager_tasks):
        default_rate(world.acme)
        request = self.requested(world, catalogue)
        staff = world.staff["acme", "billing"]
        quote = quote_request_to_draft(request=request, actor=staff, today=TODAY)
        quote_delete_draft(quote=quote, actor=staff)
        request.refresh_from_db()
        assert (request.status, request.quote) == (RequestStatus.OPEN, None)
        again = quote_request_to_draft(request=request, actor=staff, today=TODAY)
        assert again.lines.count() == 2
