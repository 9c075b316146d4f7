"""The back office on malformed input: a 400, a 404 or a form error, never a 500. Run on SQLite
and on PostgreSQL (CI): NUL bytes break only PostgreSQL, huge numbers break both."""

import pytest
from django.test import Client

from billing.models import Invoice
from contracts.models import Customer
from core.models import AuditEntry
from tests.conftest import client_for
from tests.helpers import admin_form_data

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


@pytest.fixture
def billing(world):
    return client_for(world.staff["acme", "billing"], world.acme)


@pytest.fixture
def owner(world):
    return client_for(world.staff["acme", "owner"], world.acme)


@pytest.mark.parametrize("customer", ["abc", "1.5", HUGE, "-1", "\x00"])
def test_a_malformed_customer_on_an_add_form_is_a_form_error(billing, customer):
    url = "/manage/billing/invoice/add/"
    response = billing.post(url, admin_form_data(billing.get(url), customer=customer))
    assert response.status_code in (200, 400)
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("year", ["0", "-1", "1", "9999", HUGE, "x", "٢٠٢٦", "2026\x00"])
def test_a_malformed_date_hierarchy_year_is_not_a_500(owner, year):
    response = owner.get("/manage/core/auditentry/", {"created_at__year": year})
    assert response.status_code in (200, 302, 400, 404)


@pytest.mark.parametrize(
    "year,month,day",
    [
        ("2026", "0", "1"),
        ("2026", "13", "1"),
        ("2026", HUGE, "1"),
        ("2026", "2", "30"),
        ("2026", "1", HUGE),
        ("9998", "12", "31"),
    ],
)
def test_a_malformed_date_hierarchy_month_or_day_is_not_a_500(owner, year, month, day):
    response = owner.get(
        "/manage/core/auditentry/",
        {"created_at__year": year, "created_at__month": month, "created_at__day": day},
    )
    assert response.status_code in (200, 302, 400, 404)


@pytest.mark.parametrize(
    "query",
    [
        {"q": "a\x00b"},
        {"status": "open\x00"},
        {"customer__id__exact": "\x00"},
        {"customer__id__exact": HUGE},
        {"id__exact": "abc"},
    ],
)
def test_malformed_filters_and_searches_on_a_list_are_not_a_500(billing, query):
    response = billing.get("/manage/billing/invoice/", query)
    assert response.status_code in (200, 302, 400)


@pytest.mark.parametrize("term", ["\x00", "ab\x00c"])
def test_a_nul_byte_in_an_autocomplete_term_is_a_400(billing, term):
    response = billing.get(
        "/manage/autocomplete/",
        {
            "term": term,
            "app_label": "billing",
            "model_name": "invoice",
            "field_name": "customer",
        },
    )
    assert response.status_code == 400


@pytest.mark.parametrize("object_id", ["%00", "1%00", "abc", HUGE, "-1"])
def test_a_malformed_object_id_in_a_url_is_a_404_or_400(billing, object_id):
    for suffix in ("change/", "history/", "delete/"):
        response = billing.get(f"/manage/contracts/customer/{object_id}/{suffix}")
        assert response.status_code in (400, 404), suffix


@pytest.mark.parametrize("selected", ["\x00", HUGE, "abc"])
def test_a_malformed_selected_action_is_not_a_500(world, owner, selected):
    response = owner.post(
        "/manage/contracts/customer/",
        {"action": "delete_selected", "_selected_action": [selected], "index": "0"},
    )
    assert response.status_code in (200, 302, 400)
    assert Customer.objects.filter(tenant=world.acme).count() == 2


def test_a_nul_byte_anywhere_in_a_request_is_a_400_and_nothing_is_written(world, owner):
    before = AuditEntry.objects.count()
    url = f"/manage/contracts/customer/{world.alpha.pk}/change/"
    data = admin_form_data(owner.get(url), name="Alpha\x00 GmbH")
    assert owner.post(url, data).status_code == 400
    assert Customer.objects.get(pk=world.alpha.pk).name == world.alpha.name
    assert AuditEntry.objects.count() == before


def test_uploaded_files_may_hold_nul_bytes(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from subscriptions.models import Module

    manager = client_for(world.staff["acme", "manager"], world.acme)
    url = "/manage/subscriptions/module/add/"
    gif = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
        b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    data = admin_form_data(manager.get(url), name="Helpdesk", is_active="on")
    data["image"] = SimpleUploadedFile("pixel.gif", gif, content_type="image/gif")
    assert manager.post(url, data).status_code == 302
    assert Module.objects.get(name="Helpdesk").image


def test_a_webhook_body_is_left_to_its_view(world):
    # Its raw body must stay readable: a multipart body is not parsed ahead of it.
    response = Client().post(
        "/stripe/webhook/acme/", {"id": "evt_\x00"}, HTTP_STRIPE_SIGNATURE="t=1,v1=x"
    )
    assert response.status_code == 400  # refused by the webhook for its signature, no 500


@pytest.mark.parametrize("junk", ["99999999999999999999999999", "abc", "-1"])
def test_a_choice_no_key_can_hold_is_a_form_error(world, junk):
    """Found by the fuzzer: a huge id in a select or a many-to-many field of a back-office form
    reached the database (SQLite cannot even bind it)."""
    client = client_for(world.staff["acme", "owner"], world.acme)
    response = client.post(
        "/manage/subscriptions/tariff/add/",
        {
            "module": junk,
            "name": "Team",
            "currency": "EUR",
            "interval_months": "1",
            "minimum_term_months": "99999999999999999999999999",
            "notice_period_days": "0",
            "change_notice_days": "0",
            "position": "0",
            "options": [junk],
            "allowed_changes": [junk],
            "prices-TOTAL_FORMS": "0",
            "prices-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200 and b"errorlist" in response.content
