"""Act as customer (contracts.acting): staff open a customer's portal view from the back office.

Support and up may open it, read-only for Support; Billing and up act as the role matrix
allows (core.roles.ACTING_ACTIONS); signing, closing the account and the business's terms are
never done on a customer's behalf. Bannered, audited under both identities, ended in one click
or after an hour, never across businesses and never into login or security pages."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from contracts.acting import SESSION_KEY
from contracts.services import legal_document_publish
from core.acting import ActingFor, acting
from core.models import AuditEntry
from core.roles import ACTING_ACTIONS, CONTACT_ACTIONS, SYSTEM, StaffRole, may
from tests.conftest import host_of

ROLES = [role.value for role in StaffRole]
CONTRACT_EDIT = {
    "billing_company": "Alpha SARL",
    "billing_street": "2 rue X",
    "billing_street_2": "",
    "billing_postal_code": "69001",
    "billing_city": "Lyon",
    "billing_country": "fr",
    "po_number": "PO-ACT",
    "invoice_recipients": "ap@alpha.test",
    "document_delivery": "link",
}


def start_url(customer) -> str:
    return f"/manage/contracts/customer/{customer.pk}/act-as/"


def acting_client(world, role: str, customer=None) -> Client:
    """A staff member of acme with this role, acting as Alpha (or `customer`)."""
    client = world.client(world.staff["acme", role])
    response = client.post(start_url(customer or world.alpha))
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == "/"
    return client


def entries(world, action: str):
    return AuditEntry.objects.filter(tenant=world.acme, action=action)


# --- the matrix --------------------------------------------------------------------------------


def test_every_portal_action_says_whether_staff_may_take_it_for_the_customer():
    assert set(ACTING_ACTIONS) == set(CONTACT_ACTIONS)


# What each staff role may do for the customer while acting: True allowed, False refused.
EXPECTED_WHILE_ACTING = {
    "portal.view": dict.fromkeys(ROLES, True),
    "invoice.view": dict.fromkeys(ROLES, True),
    "quote.view": dict.fromkeys(ROLES, True),
    **{
        action: {"support": False, "billing": True, "manager": True, "owner": True}
        for action in [
            "invoice.pay",
            "payment_method.manage",
            "quote.request",
            "contract.edit",
            "package.buy",
            "subscription.order",
            "subscription.change",
            "subscription.cancel",
        ]
    },
    # The customer's own declarations and logins: never on their behalf.
    **{
        action: dict.fromkeys(ROLES, False)
        for action in ["quote.approve", "account.delete", "account.contacts.manage"]
    },
}


@pytest.mark.parametrize("action", sorted(CONTACT_ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_while_acting_each_portal_action_follows_the_staff_role(world, role, action):
    staff = world.staff["acme", role]
    context = ActingFor(
        user_id=staff.pk, tenant_id=world.acme.pk, customer_id=world.alpha.pk, customer_label="A"
    )
    assert not may(staff, action, tenant=world.acme, customer_id=world.alpha.pk)
    with acting(context):
        assert (
            may(staff, action, tenant=world.acme, customer_id=world.alpha.pk)
            == EXPECTED_WHILE_ACTING[action][role]
        )
        # Only for the customer acted for, only at its business, only for this person.
        assert not may(staff, action, tenant=world.acme, customer_id=world.bravo.pk)
        other = world.staff["acme", "manager" if role == "owner" else "owner"]
        assert not may(other, action, tenant=world.acme, customer_id=world.alpha.pk)
        assert not may(
            world.staff["globex", role], action, tenant=world.globex, customer_id=world.alpha.pk
        )


# --- starting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_staff_role_opens_the_customers_portal_with_a_banner(world, role):
    client = world.client(world.staff["acme", role])
    change = client.get(f"/manage/contracts/customer/{world.alpha.pk}/change/")
    assert change.status_code == 200
    assert start_url(world.alpha).encode() in change.content
    assert b"Act as customer" in change.content

    assert client.post(start_url(world.alpha))["Location"] == "/"
    for page in ["/", "/invoices/", "/contract/", "/subscriptions/"]:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert 'class="acting-banner"' in html, page
        assert f"{role}@acme.test" in html and "Alpha Corp (A-1)" in html
        assert 'action="/acting/end/"' in html
        # The staff member's own security links are not offered while acting.
        assert "/accounts/password/change/" not in html
    banner = client.get("/").content.decode()
    if role == "support":
        assert "Read-only" in banner
    else:
        assert "Actions follow your staff role" in banner


def test_a_contact_sees_no_banner(world):
    html = world.client(world.alice).get("/").content.decode()
    assert "acting-banner" not in html


def test_starting_is_a_post_only(world):
    client = world.client(world.staff["acme", "billing"])
    assert client.get(start_url(world.alpha)).status_code == 405
    assert SESSION_KEY not in client.session


def test_another_business_customer_is_a_404(world):
    client = world.client(world.staff["acme", "owner"])
    assert client.post(start_url(world.charlie_co)).status_code == 404
    assert client.post("/manage/contracts/customer/999999/act-as/").status_code == 404
    assert SESSION_KEY not in client.session
    assert not entries(world, "customer.act_as.start").exists()


def test_a_superuser_cannot_act_for_another_business_customer_on_this_host(world):
    from tests.factories import UserFactory

    root = UserFactory(email="root@kontor.test", is_superuser=True)
    client = world.client(root)
    assert client.post(start_url(world.charlie_co)).status_code == 404
    assert SESSION_KEY not in client.session


def test_contacts_cannot_start_it(world):
    client = world.client(world.alice)
    response = client.post(start_url(world.alpha))
    assert response.status_code in (302, 403)
    assert SESSION_KEY not in client.session


def test_switching_to_another_customer_needs_ending_first(world):
    client = acting_client(world, "owner")
    response = client.post(start_url(world.bravo), follow=True)
    assert "End that first" in response.content.decode()
    assert client.session[SESSION_KEY]["customer_id"] == world.alpha.pk
    assert "Alpha Corp" in client.get("/").content.decode()
    # A contact's customer switcher does not help either: staff are no contact.
    assert client.post(f"/customer/{world.bravo.pk}/switch/").status_code == 404


def test_start_and_end_need_the_csrf_token(world):
    staff = world.staff["acme", "billing"]
    client = Client(HTTP_HOST=host_of(world.acme), enforce_csrf_checks=True)
    client.force_login(staff, backend="portal.accounts.TenantAuthenticationBackend")
    assert client.post(start_url(world.alpha)).status_code == 403
    assert SESSION_KEY not in client.session

    change = client.get(f"/manage/contracts/customer/{world.alpha.pk}/change/")
    token = change.context["csrf_token"]
    assert (
        client.post(start_url(world.alpha), {"csrfmiddlewaretoken": str(token)}).status_code == 302
    )
    assert SESSION_KEY in client.session

    assert client.post("/acting/end/").status_code == 403
    assert SESSION_KEY in client.session
    page = client.get("/")
    response = client.post("/acting/end/", {"csrfmiddlewaretoken": str(page.context["csrf_token"])})
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


# --- ending -------------------------------------------------------------------------------------


def test_one_click_ends_it_and_returns_to_the_customer_in_the_back_office(world):
    client = acting_client(world, "billing")
    response = client.post("/acting/end/")
    assert response.status_code == 302
    assert response["Location"] == f"/manage/contracts/customer/{world.alpha.pk}/change/"
    assert SESSION_KEY not in client.session
    # Back to being themselves: a staff member with no customer account of their own.
    assert client.get("/").status_code == 403
    end = entries(world, "customer.act_as.end").get()
    assert end.actor == world.staff["acme", "billing"]
    assert end.on_behalf_of_id == world.alpha.pk
    assert end.after["reason"] == "ended"


def test_it_ends_by_itself_after_an_hour(world):
    client = acting_client(world, "manager")
    with time_machine.travel(timezone.now() + timedelta(minutes=59), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=61), tick=False):
        response = client.get("/invoices/")
        assert response.status_code == 302
        assert response["Location"] == f"/manage/contracts/customer/{world.alpha.pk}/change/"
        assert SESSION_KEY not in client.session
        assert entries(world, "customer.act_as.end").get().after["reason"] == "expired"
        assert client.get("/").status_code == 403


def test_logging_out_ends_it(world):
    client = acting_client(world, "billing")
    client.post("/accounts/logout/")
    assert entries(world, "customer.act_as.end").get().after["reason"] == "logout"


def test_ending_without_acting_changes_nothing(world):
    client = world.client(world.staff["acme", "billing"])
    assert client.post("/acting/end/").status_code == 302
    assert not entries(world, "customer.act_as.end").exists()


def test_a_staff_member_who_loses_the_role_is_let_out(world):
    client = acting_client(world, "billing")
    world.staff["acme", "billing"].staff_memberships.update(is_active=False)
    response = client.get("/")
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert entries(world, "customer.act_as.end").get().after["reason"] == "revoked"


# --- what staff may do while acting -------------------------------------------------------------


def test_support_may_look_but_every_action_is_refused_with_a_reason(world):
    """Read-only: a refused action changes nothing, and is on record as refused."""
    client = acting_client(world, "support")
    assert client.get("/contract/").status_code == 200
    for path, data in [
        ("/contract/edit/", CONTRACT_EDIT),
        ("/contract/close/", {}),
        ("/quotes/request/", {}),
        ("/payment-methods/add/", {}),
    ]:
        response = client.post(path, data)
        assert response.status_code == 403, path
        assert "not act in it" in response.content.decode()
        assert 'class="acting-banner"' in response.content.decode()
    world.alpha.refresh_from_db()
    assert world.alpha.po_number != "PO-ACT"
    # Nothing changed, no action taken; each refusal is on record under both identities.
    assert not entries(world, "customer.act_as.action").exists()
    assert not entries(world, "customer.change").exists()
    refused = list(entries(world, "customer.act_as.refused").order_by("id"))
    assert [(r.after["path"], r.after["method"], r.after["reason"]) for r in refused] == [
        ("/contract/edit/", "POST", "read_only"),
        ("/contract/close/", "POST", "read_only"),
        ("/quotes/request/", "POST", "read_only"),
        ("/payment-methods/add/", "POST", "read_only"),
    ]
    assert {(r.actor_id, r.on_behalf_of_id) for r in refused} == {
        (world.staff["acme", "support"].pk, world.alpha.pk)
    }


@pytest.mark.parametrize("role", ["billing", "manager", "owner"])
def test_billing_and_up_edit_the_contract_for_the_customer_audited_under_both(world, role):
    client = acting_client(world, role)
    assert b"/contract/edit/" in client.get("/contract/").content
    response = client.post("/contract/edit/", CONTRACT_EDIT)
    assert response.status_code == 302
    world.alpha.refresh_from_db()
    assert world.alpha.po_number == "PO-ACT"
    update = entries(world, "customer.change").get()
    assert update.actor == world.staff["acme", role]
    assert update.on_behalf_of_id == world.alpha.pk
    assert update.on_behalf_of == "Alpha Corp (A-1)"
    action = entries(world, "customer.act_as.action").get()
    assert action.after == {"path": "/contract/edit/", "method": "POST"}


@pytest.mark.parametrize("role", ROLES)
def test_nobody_closes_the_account_for_the_customer(world, role):
    client = acting_client(world, role)
    assert b"/contract/close/" not in client.get("/contract/").content
    assert client.get("/contract/close/").status_code == 403
    response = client.post("/contract/close/", {"confirm": "on"})
    assert response.status_code == 403
    world.alpha.refresh_from_db()
    assert world.alpha.closed_at is None


@pytest.mark.parametrize("role", ROLES)
def test_nobody_accepts_the_business_terms_for_the_customer(world, role):
    legal_document_publish(
        tenant=world.acme,
        kind="terms",
        version="2",
        title="Terms",
        body="…",
        actor=world.staff["acme", "owner"],
    )
    client = acting_client(world, role)
    # The pages show as they are (no terms gate for staff) ...
    assert client.get("/invoices/").status_code == 200
    assert client.get("/legal/accept/").status_code == 200
    # ... but accepting is refused.
    response = client.post("/legal/accept/", {"accept": "on"})
    assert response.status_code == 403
    reason = "not act in it" if role == "support" else "never do on a customer"
    assert reason in response.content.decode()
    assert not world.alpha.legal_acceptances.exists()
    # The customer still is asked.
    assert world.client(world.alice).get("/invoices/").status_code == 302


# --- audit --------------------------------------------------------------------------------------


def test_every_page_view_is_audited_under_both_identities(world):
    client = acting_client(world, "support")
    start = entries(world, "customer.act_as.start").get()
    assert start.actor == world.staff["acme", "support"]
    assert start.on_behalf_of_id == world.alpha.pk
    client.get("/")
    client.get("/invoices/?page=1")
    views = list(entries(world, "customer.act_as.view").order_by("id"))
    assert [v.after["path"] for v in views] == ["/", "/invoices/?page=1"]
    for view in views:
        assert view.actor == world.staff["acme", "support"]
        assert view.actor_label == "support@acme.test"
        assert view.on_behalf_of_id == world.alpha.pk
        assert view.object_id == str(world.alpha.pk)
        assert "Alpha Corp" in str(view)


def test_entries_outside_acting_name_nobody_on_whose_behalf(world):
    world.client(world.alice).post("/contract/edit/", CONTRACT_EDIT)
    update = entries(world, "customer.change").get()
    assert update.actor == world.alice
    assert update.on_behalf_of_id is None and update.on_behalf_of == ""


# --- login and security pages -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password/change/",
        "/accounts/email/",
        "/accounts/2fa/",
        "/accounts/password/reset/",
        "/accounts/login/link/",
    ],
)
def test_login_and_security_pages_are_closed_while_acting(world, path):
    client = acting_client(world, "owner")
    response = client.get(path)
    assert response.status_code == 403
    assert "End acting first" in response.content.decode()
    assert (
        client.post(path, {"oldpassword": "x", "password1": "y", "password2": "y"}).status_code
        == 403
    )
    refused = entries(world, "customer.act_as.refused").first()
    assert refused.on_behalf_of_id == world.alpha.pk
    # Once ended, the staff member's own pages are theirs again.
    client.post("/acting/end/")
    assert client.get("/accounts/password/change/").status_code == 200


def _alpha_subscription(world):
    from datetime import date

    from core.roles import SYSTEM
    from subscriptions.services import subscription_order
    from tests.factories import TariffFactory

    tariff = TariffFactory(module__tenant=world.acme, name="Basic", price="10.00")
    return subscription_order(
        customer=world.alpha, tariff=tariff, actor=SYSTEM, start_on=date(2026, 1, 1)
    )


@pytest.mark.parametrize("role,allowed", [("support", False), ("billing", True), ("owner", True)])
def test_cancelling_a_subscription_for_the_customer_follows_the_role(world, role, allowed):
    subscription = _alpha_subscription(world)
    client = acting_client(world, role)
    url = f"/subscriptions/{subscription.pk}/cancel/"
    response = client.post(url, {"reason": "Budget cuts", "confirm": "on"})
    subscription.refresh_from_db()
    written = AuditEntry.objects.filter(
        tenant=world.acme, action__startswith="subscription.", on_behalf_of_id=world.alpha.pk
    )
    if allowed:
        assert response.status_code == 302
        assert written.filter(actor=world.staff["acme", role]).exists()
    else:
        assert response.status_code == 403
        assert not written.exists()
        assert not entries(world, "customer.act_as.action").exists()


def test_billing_staff_request_a_quote_for_the_customer(world):
    from quotes.models import QuoteRequest

    client = acting_client(world, "billing")
    response = client.post("/quotes/request/", {"note": "Ten more seats, please."})
    assert response.status_code == 302
    request = QuoteRequest.objects.get(customer=world.alpha)
    assert request.requested_by == world.staff["acme", "billing"]
    assert AuditEntry.objects.filter(
        action__startswith="quote", on_behalf_of_id=world.alpha.pk
    ).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_contacts_portal_link_cannot_be_used_while_acting(world, method):
    from contracts.portal_links import portal_link_path

    client = acting_client(world, "owner")
    link = portal_link_path(world.alpha.contacts.get(user=world.alice))
    response = getattr(client, method)(link)
    assert response.status_code == 403
    assert SESSION_KEY in client.session  # still acting, still the staff member
    assert client.session["_auth_user_id"] == str(world.staff["acme", "owner"].pk)


def test_a_form_opened_before_acting_started_or_ended_no_longer_posts(world):
    staff = world.staff["acme", "billing"]
    client = Client(HTTP_HOST=host_of(world.acme), enforce_csrf_checks=True)
    client.force_login(staff, backend="portal.accounts.TenantAuthenticationBackend")
    change = client.get(f"/manage/contracts/customer/{world.alpha.pk}/change/")
    before = str(change.context["csrf_token"])
    assert client.post(start_url(world.alpha), {"csrfmiddlewaretoken": before}).status_code == 302
    # The token of the page opened before acting began is refused now.
    assert client.post("/acting/end/", {"csrfmiddlewaretoken": before}).status_code == 403
    while_acting = str(client.get("/").context["csrf_token"])
    assert client.post("/acting/end/", {"csrfmiddlewaretoken": while_acting}).status_code == 302
    assert SESSION_KEY not in client.session


# --- every action on record, each refusal with its own reason, logging out ------------------


def test_every_action_is_audited_under_both_identities_whatever_came_of_it(world):
    client = acting_client(world, "billing")
    staff = world.staff["acme", "billing"]
    # Refused by the matrix (closing the account is the customer's own declaration).
    assert client.post("/contract/close/", {"confirm": "on"}).status_code == 403
    # Shown again with its errors: nothing changed, on record with its status.
    assert (
        client.post(
            "/contract/edit/", {**CONTRACT_EDIT, "invoice_recipients": "not-an-address"}
        ).status_code
        == 200
    )
    # Taken.
    assert client.post("/contract/edit/", CONTRACT_EDIT).status_code == 302
    # A login page, closed while acting.
    assert client.post("/accounts/password/change/", {}).status_code == 403
    records = AuditEntry.objects.filter(
        tenant=world.acme, action__in=["customer.act_as.action", "customer.act_as.refused"]
    ).order_by("id")
    assert [(r.action, r.after) for r in records] == [
        (
            "customer.act_as.refused",
            {"path": "/contract/close/", "method": "POST", "reason": "not_allowed"},
        ),
        ("customer.act_as.action", {"path": "/contract/edit/", "method": "POST", "status": 200}),
        ("customer.act_as.action", {"path": "/contract/edit/", "method": "POST"}),
        (
            "customer.act_as.refused",
            {"path": "/accounts/password/change/", "method": "POST", "reason": "closed"},
        ),
    ]
    assert {(r.actor_id, r.on_behalf_of_id) for r in records} == {(staff.pk, world.alpha.pk)}


def test_a_missing_page_posted_to_while_acting_is_on_record_too(world):
    client = acting_client(world, "billing")
    assert client.post("/invoices/999999/pay/", {}).status_code == 404
    refused = entries(world, "customer.act_as.refused").get()
    assert refused.after["reason"] == "failed" and refused.on_behalf_of_id == world.alpha.pk


def test_terms_pages_and_checkouts_are_refused_each_with_its_own_reason(stripe_acme, world):
    """The checkout pages take the terms on the way (no terms gate) but are not the terms
    page: paying an open checkout for the customer follows the role, and only placing an
    order while terms are pending is refused — saying so, not with the terms page's words."""
    from decimal import Decimal

    from billing.models import Checkout, TaxRate
    from tests.billing.test_checkout import place
    from tests.billing.test_payments import save_card
    from tests.factories import ModuleFactory, TariffFactory

    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal(19), is_default=True)
    tariff = TariffFactory(module=ModuleFactory(tenant=world.acme), name="Pro", price="40.00")
    card = save_card(world, stripe_acme)
    pay_url = place(world.client(world.alice), tariff)["Location"]
    checkout = Checkout.objects.get()
    client = acting_client(world, "billing")

    paid = client.post(pay_url, {"method": card.pk})

    assert paid.status_code == 302, paid.content.decode()[:2000]
    checkout.refresh_from_db()
    assert checkout.status == "completed" and checkout.invoice.status == "paid"
    taken = entries(world, "customer.act_as.action").get()
    assert taken.after == {"path": pay_url, "method": "POST"}
    assert taken.actor == world.staff["acme", "billing"]

    # New terms: the customer has not accepted them. Ordering for them is refused, saying why.
    legal_document_publish(
        tenant=world.acme, kind="terms", version="9", title="Terms", body="…", actor=SYSTEM
    )
    other = TariffFactory(module=ModuleFactory(tenant=world.acme), name="Max", price="90.00")
    review = html.unescape(client.get(f"/order/tariffs/{other.pk}/").content.decode())
    assert "has not accepted the business's current terms yet" in review
    assert 'value="place"' not in review and 'name="accept_terms"' not in review
    refused = place(client, other)  # sent all the same: the service refuses it
    assert refused.status_code == 403
    text = html.unescape(refused.content.decode())
    assert "has not accepted the business's current terms yet" in text
    assert "This page accepts the business's terms" not in text
    assert Checkout.objects.count() == 1
    assert entries(world, "customer.act_as.refused").get().after["reason"] == "terms_pending"
    # The terms page itself keeps its own reason.
    terms = client.post("/legal/accept/", {"accept": "on"})
    assert "This page accepts the business's terms" in html.unescape(terms.content.decode())
    assert not world.alpha.legal_acceptances.filter(document__version="9").exists()


@pytest.mark.parametrize("logout", ["/accounts/logout/", "/manage/logout/"])
def test_logging_out_before_the_hour_ends_acting_cleanly(world, logout):
    staff = world.staff["acme", "billing"]
    client = acting_client(world, "billing")
    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=False):
        response = client.post(logout)
        assert response.status_code in (200, 302)
        assert SESSION_KEY not in client.session and "_auth_user_id" not in client.session
        end = entries(world, "customer.act_as.end").get()
        assert end.after["reason"] == "logout"
        assert (end.actor, end.on_behalf_of_id) == (staff, world.alpha.pk)
        # Logged out: the portal asks to log in, no banner, no error.
        assert client.get("/").status_code == 302
        # Back in: themselves, not acting (no customer account of their own, no banner).
        client.force_login(staff, backend="portal.accounts.TenantAuthenticationBackend")
        page = client.get("/")
        assert page.status_code == 403
        assert 'class="acting-banner"' not in page.content.decode()
        assert client.get("/manage/").status_code == 200
    assert entries(world, "customer.act_as.end").count() == 1


def test_logging_out_after_the_hour_logs_out_too(world):
    client = acting_client(world, "billing")
    with time_machine.travel(timezone.now() + timedelta(minutes=75), tick=False):
        client.post("/accounts/logout/")
        assert "_auth_user_id" not in client.session and SESSION_KEY not in client.session
        assert entries(world, "customer.act_as.end").get().after["reason"] == "expired"


def test_an_action_outside_the_portal_pages_is_on_record_too(world):
    client = acting_client(world, "support")
    assert client.post("/i18n/setlang/", {"language": "fr", "next": "/"}).status_code == 302
    entry = entries(world, "customer.act_as.action").get()
    assert entry.after == {"path": "/i18n/setlang/", "method": "POST", "status": 302}
    assert (entry.actor, entry.on_behalf_of_id) == (world.staff["acme", "support"], world.alpha.pk)
    # The back office is the staff member's own: audited by its services, not as acting.
    client.post(f"/manage/contracts/customer/{world.alpha.pk}/change/", {})
    client.post("/acting/end/")
    assert entries(world, "customer.act_as.action").count() == 1
