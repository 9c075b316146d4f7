"""Portal links: one URL that signs a contact in, once; expires, is revoked with the customer's
other links, stays on its business's host; staff copy or e-mail it; the login page sends one
without telling whether an address is known; document links carry it only when scoped."""

from __future__ import annotations

import re
import threading
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from contracts.models import PortalLinkUse
from contracts.portal_links import (
    REQUESTS_PER_ADDRESS_PER_DAY,
    PortalLinkUsed,
    document_link_query,
    portal_link_path,
    portal_link_redeem,
    portal_link_request,
)
from contracts.services import customer_close, customer_links_revoke
from core.audit import AuditEntry
from core.roles import SYSTEM
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def anonymous(tenant) -> Client:
    return Client(HTTP_HOST=f"{tenant.slug}.localhost", HTTP_ACCEPT_LANGUAGE="en")


def alice_contact(world):
    return world.alpha.contacts.get(user=world.alice)


def use(client: Client, path: str, **data):
    return client.post(path, data)


# --- signing in --------------------------------------------------------------------------


def test_the_link_shows_one_button_then_signs_in_and_lands_on_the_dashboard(world):
    path = portal_link_path(alice_contact(world))
    client = anonymous(world.acme)
    page = client.get(path)
    assert page.status_code == 200
    assert "alice@example.test" in page.content.decode()
    assert not PortalLinkUse.objects.exists()  # opening the page (a mail scanner) uses nothing
    response = use(client, path)
    assert response.status_code == 302 and response["Location"] == "/"
    world.alice.refresh_from_db()
    assert world.alice.last_login is not None
    dashboard = client.get("/")
    assert dashboard.status_code == 200 and dashboard.wsgi_request.user == world.alice
    assert client.session["_auth_user_backend"] == "portal.accounts.TenantAuthenticationBackend"
    assert AuditEntry.objects.filter(action="contact.portal_link_use").count() == 1


def test_the_link_works_once_and_the_second_use_gets_a_clear_page(world):
    path = portal_link_path(alice_contact(world))
    assert use(anonymous(world.acme), path).status_code == 302
    for second in (anonymous(world.acme).get(path), use(anonymous(world.acme), path)):
        assert second.status_code == 410
        assert "has been used already" in second.content.decode()
    assert PortalLinkUse.objects.count() == 1


def test_two_links_for_the_same_contact_are_used_separately(world):
    first, second = (portal_link_path(alice_contact(world)) for _ in range(2))
    assert first != second
    assert use(anonymous(world.acme), first).status_code == 302
    assert use(anonymous(world.acme), second).status_code == 302


def test_an_expired_link_is_refused(world):
    with time_machine.travel("2026-03-01 10:00:00+01:00", tick=False):
        path = portal_link_path(alice_contact(world))
    with time_machine.travel("2026-05-01 10:00:00+02:00", tick=False):  # Acme: 60 days
        response = use(anonymous(world.acme), path)
    assert response.status_code == 410 and "has expired" in response.content.decode()
    assert not PortalLinkUse.objects.exists()


def test_rotating_the_customers_link_secret_revokes_it(world):
    path = portal_link_path(alice_contact(world))
    customer_links_revoke(customer=world.alpha, actor=SYSTEM)
    response = use(anonymous(world.acme), path)
    assert response.status_code == 404 and "not valid" in response.content.decode()


def test_another_business_host_refuses_it(world):
    path = portal_link_path(alice_contact(world))
    for response in (anonymous(world.globex).get(path), use(anonymous(world.globex), path)):
        assert response.status_code == 404
    assert not PortalLinkUse.objects.exists()


def test_a_contact_of_a_closed_customer_is_not_signed_in(world):
    path = portal_link_path(alice_contact(world))
    customer_close(customer=world.alpha, actor=world.staff["acme", "manager"])
    assert use(anonymous(world.acme), path).status_code == 404


def test_an_inactive_contact_is_not_signed_in(world):
    contact = alice_contact(world)
    path = portal_link_path(contact)
    contact.is_active = False
    contact.save()
    assert use(anonymous(world.acme), path).status_code == 404


@pytest.mark.parametrize(
    "spoil", ["tamper", "invoice_token", "no_nonce", "garbage", "too_long", "bad_nonce"]
)
def test_a_spoiled_token_is_a_friendly_404(world, spoil):
    from contracts.links import customer_link_token

    contact = alice_contact(world)
    token = portal_link_path(contact).split("/")[3]
    if spoil == "tamper":
        token = token[:-3] + ("xyz" if not token.endswith("xyz") else "abc")
    elif spoil == "invoice_token":
        token = customer_link_token(
            customer=world.alpha, purpose="invoice", object_id=contact.pk, nonce="n" * 22
        )
    elif spoil == "no_nonce":
        token = customer_link_token(customer=world.alpha, purpose="portal", object_id=contact.pk)
    elif spoil == "garbage":
        token = "%%%:::"
    elif spoil == "too_long":
        token = "a" * 400
    elif spoil == "bad_nonce":
        from django.core import signing

        signer = signing.TimestampSigner(salt=f"kontor.link.portal.{world.alpha.link_secret}")
        token = signer.sign_object({"c": world.alpha.pk, "o": contact.pk, "n": ["x"]})
    response = use(anonymous(world.acme), f"/l/portal/{token}/")
    assert response.status_code == 404


def test_staff_are_sent_to_the_login_instead(world):
    owner = world.staff["acme", "owner"]
    contact = ContactFactory(customer=world.alpha, user=owner)
    response = use(anonymous(world.acme), portal_link_path(contact))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?login=owner%40acme.test")
    assert not PortalLinkUse.objects.exists()


def test_a_contact_with_two_factor_authentication_still_gives_the_code(world):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(
        user=world.alice, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    client = anonymous(world.acme)
    response = use(client, portal_link_path(alice_contact(world)))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/").status_code == 302  # not signed in before the code
    world.alice.refresh_from_db()
    assert world.alice.last_login is None


def test_a_second_person_with_the_link_while_another_is_signed_in_becomes_that_contact(world):
    client = world.client(world.bob)
    response = use(client, portal_link_path(alice_contact(world)))
    assert response.status_code == 302
    assert client.get("/").wsgi_request.user == world.alice


def test_someone_already_signed_in_as_that_contact_keeps_the_link_unused(world):
    client = world.client(world.alice)
    response = client.get(portal_link_path(alice_contact(world)))
    assert response.status_code == 302 and response["Location"] == "/"
    assert not PortalLinkUse.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_uses_of_one_link_let_exactly_one_in(world):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (CI runs this)")
    token = portal_link_path(alice_contact(world)).split("/")[3]
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def redeem() -> None:
        from django.db import connections

        try:
            barrier.wait()
            portal_link_redeem(tenant=world.acme, token=token)
            outcomes.append("in")
        except PortalLinkUsed:
            outcomes.append("used")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["in", "used", "used", "used"]
    assert PortalLinkUse.objects.count() == 1


# --- staff: copy or e-mail from the customer page --------------------------------------------


def staff_client(world, role: str) -> Client:
    return world.client(world.staff["acme", role])


def portal_link_admin(world) -> str:
    return f"/manage/contracts/customer/{world.alpha.pk}/portal-link/"


def test_billing_staff_copy_a_link_that_signs_the_account_owner_in(world):
    member = ContactFactory(customer=world.alpha, role="member", user__email="m@alpha.test")
    client = staff_client(world, "billing")
    page = client.get(portal_link_admin(world))
    assert page.status_code == 200
    assert page.context["form"]["contact"].initial == alice_contact(world).pk  # the owner first
    assert {pk for pk, _ in page.context["form"].fields["contact"].choices} == {
        alice_contact(world).pk,
        member.pk,
    }
    response = client.post(portal_link_admin(world), {"contact": member.pk, "copy": "1"})
    assert response.status_code == 200
    link = response.context["link"]
    assert re.match(r"https?://acme\.localhost\S*/l/portal/", link)
    assert AuditEntry.objects.filter(action="customer.portal_link_copy").count() == 1
    visitor = anonymous(world.acme)
    assert use(visitor, urlsplit(link).path).status_code == 302
    assert visitor.get("/").wsgi_request.user == member.user


def test_billing_staff_e_mail_a_link_once_in_the_contacts_language(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    world.alice.language = "de"
    world.alice.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client(world, "manager").post(
            portal_link_admin(world), {"contact": alice_contact(world).pk, "email": "1"}
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.test"]
    assert message.from_email.startswith("Acme <")
    assert "Acme" in message.subject
    link = re.search(r"https?://acme\.localhost\S*/l/portal/\S+/", message.body).group(0)
    assert use(anonymous(world.acme), urlsplit(link).path).status_code == 302
    assert AuditEntry.objects.filter(action="customer.portal_link_email").count() == 1


def test_support_staff_may_neither_copy_nor_e_mail_a_link(world):
    client = staff_client(world, "support")
    assert client.get(portal_link_admin(world)).status_code == 403
    data = {"contact": alice_contact(world).pk, "email": "1"}
    assert client.post(portal_link_admin(world), data).status_code == 403
    change = client.get(f"/manage/contracts/customer/{world.alpha.pk}/change/")
    assert "portal-link" not in change.content.decode()
    assert len(mail.outbox) == 0


def test_the_customer_page_offers_the_portal_link_to_billing_staff(world):
    change = staff_client(world, "billing").get(
        f"/manage/contracts/customer/{world.alpha.pk}/change/"
    )
    assert "portal-link/" in change.content.decode()


def test_another_business_staff_get_404_on_the_portal_link_page(world):
    client = world.client(world.staff["globex", "owner"], tenant=world.globex)
    assert client.get(portal_link_admin(world)).status_code == 404
    data = {"contact": alice_contact(world).pk, "copy": "1"}
    assert client.post(portal_link_admin(world), data).status_code == 404


def test_a_contact_of_another_customer_cannot_be_picked(world):
    bob_contact = world.bravo.contacts.get(user=world.bob)
    response = staff_client(world, "owner").post(
        portal_link_admin(world), {"contact": bob_contact.pk, "copy": "1"}
    )
    assert response.status_code == 400 and not response.context["link"]


# --- the login page: "E-mail me a sign-in link" --------------------------------------------


REQUEST = "/accounts/login/link/"


def test_the_login_page_offers_a_sign_in_link(world):
    page = anonymous(world.acme).get("/accounts/login/")
    assert REQUEST in page.content.decode()


def test_a_contact_gets_a_link_and_an_unknown_address_gets_the_same_answer(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    answers = []
    for email in ("alice@example.test", "nobody@example.test", "charlie@example.test"):
        client = anonymous(world.acme)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(REQUEST, {"email": email}, follow=True)
        assert response.status_code == 200
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        answers.append(page.replace(email, "EMAIL"))
    assert answers[0] == answers[1] == answers[2]
    assert [m.to for m in mail.outbox] == [["alice@example.test"]]  # charlie is Globex's
    link = re.search(r"https?://acme\.localhost\S*/l/portal/\S+/", mail.outbox[0].body).group(0)
    assert use(anonymous(world.acme), urlsplit(link).path).status_code == 302


def test_staff_and_closed_accounts_get_no_link_from_the_login_page(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    ContactFactory(customer=world.bravo, user=world.staff["acme", "billing"])
    customer_close(customer=world.alpha, actor=world.staff["acme", "manager"])
    with django_capture_on_commit_callbacks(execute=True):
        for email in ("billing@acme.test", "alice@example.test"):
            assert anonymous(world.acme).post(REQUEST, {"email": email}).status_code == 302
    assert mail.outbox == []


def test_asking_too_often_is_rate_limited(world, eager_tasks, django_capture_on_commit_callbacks):
    client = anonymous(world.acme)
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [
            client.post(REQUEST, {"email": "alice@example.test"}).status_code for _ in range(5)
        ]
    assert statuses[:3] == [302, 302, 302] and statuses[3:] == [429, 429]
    assert len(mail.outbox) == 3


def test_a_bad_address_is_a_form_error(world):
    response = anonymous(world.acme).post(REQUEST, {"email": "not an address"})
    assert response.status_code == 400 and response.context["form"].errors


# --- document links: inside the portal shell, scoped or not ----------------------------------


def issue_invoice(world):
    from billing.documents.services import (
        invoice_add_line,
        invoice_create_draft,
        invoice_finalize,
    )
    from billing.models import TaxRate

    TaxRate.objects.get_or_create(
        tenant=world.acme, is_default=True, defaults={"name": "Standard", "rate": Decimal("19")}
    )
    invoice = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    invoice_add_line(invoice=invoice, description="Work", unit_price=Decimal(100), actor=SYSTEM)
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 1))


def test_an_invoice_link_without_portal_scope_does_not_sign_in_but_leads_to_the_login(world):
    from billing.documents.links import invoice_link_path

    invoice = issue_invoice(world)
    client = anonymous(world.acme)
    page = client.get(invoice_link_path(invoice) + "?email=ap%40alpha.test")
    body = page.content.decode()
    assert page.status_code == 200 and "Go to your portal" in body
    assert page.context["portal_sign_in_url"] == ""
    login = page.context["portal_login_url"]
    assert parse_qs(urlsplit(login).query) == {
        "login": ["ap@alpha.test"],
        "next": [f"/invoices/{invoice.pk}/"],
    }
    assert client.get("/").status_code == 302  # still nobody
    form = client.get(login).context["form"]
    assert form["login"].value() == "ap@alpha.test"


def test_an_invoice_link_e_mailed_to_one_contact_carries_the_portal_scope(world):
    from billing.documents.tasks import send_invoice_emails

    invoice = issue_invoice(world)  # no invoice recipients: the account owner, alice
    send_invoice_emails([invoice.pk])
    sent = [m for m in mail.outbox if invoice.number in m.subject]
    link = re.search(r"https?://acme\.localhost\S*/l/invoice/\S+", sent[0].body).group(0)
    client = anonymous(world.acme)
    page = client.get(link.split("localhost", 1)[1].lstrip(":0123456789"))
    assert page.status_code == 200
    sign_in = page.context["portal_sign_in_url"]
    assert sign_in.startswith("/l/portal/")
    response = client.post(sign_in, {"next": f"/invoices/{invoice.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/invoices/{invoice.pk}/"
    assert client.get(response["Location"]).status_code == 200


def test_a_document_mail_to_several_addresses_carries_no_portal_scope(world):
    assert document_link_query(customer=world.alpha, recipients=["a@x.test", "b@x.test"]) == ""
    query = document_link_query(customer=world.alpha, recipients=["alice@example.test"])
    assert query.startswith("?portal=")
    assert document_link_query(customer=world.alpha, recipients=["ap@x.test"]) == (
        "?email=ap%40x.test"
    )
    # bob is no contact of alpha: his address gets no scope for alpha's documents
    assert document_link_query(customer=world.alpha, recipients=["bob@example.test"]).startswith(
        "?email="
    )


def test_a_portal_scope_of_another_customer_is_ignored_on_a_document(world):
    from billing.documents.links import invoice_link_path

    invoice = issue_invoice(world)
    bob_scope = portal_link_path(world.bravo.contacts.get()).split("/")[3]
    page = anonymous(world.acme).get(invoice_link_path(invoice) + f"?portal={bob_scope}")
    assert page.status_code == 200 and page.context["portal_sign_in_url"] == ""


def test_a_quote_link_shows_the_way_into_the_portal(world):
    from quotes.lifecycle import quote_send
    from quotes.links import quote_link_path
    from tests.quotes.helpers import TODAY, pending_quote

    quote = quote_send(quote=pending_quote(world.alpha, recurring=False), actor=SYSTEM, today=TODAY)
    scope = portal_link_path(alice_contact(world)).split("/")[3]
    with time_machine.travel(timezone.now(), tick=False):
        plain = anonymous(world.acme).get(quote_link_path(quote))
        scoped = anonymous(world.acme).get(quote_link_path(quote) + f"?portal={scope}")
    assert "Go to your portal" in plain.content.decode() and not plain.context["portal_sign_in_url"]
    assert scoped.context["portal_sign_in_url"] == f"/l/portal/{scope}/"


@pytest.mark.parametrize("target", ["//evil.test/", "https://evil.test/", "javascript:alert(1)"])
def test_the_link_never_redirects_off_the_business_host(world, target):
    response = use(anonymous(world.acme), portal_link_path(alice_contact(world)), next=target)
    assert response.status_code == 302 and response["Location"] == "/"


def test_one_address_gets_a_limited_number_of_requested_links_a_day(world):
    # Past the per-minute limit of the login page, a day's cap keeps an inbox from being flooded.
    for _ in range(REQUESTS_PER_ADDRESS_PER_DAY):
        assert portal_link_request(tenant=world.acme, email="ALICE@example.test")
    assert not portal_link_request(tenant=world.acme, email="alice@example.test")
    assert portal_link_request(tenant=world.acme, email="bob@example.test")
    with time_machine.travel(timezone.now() + timezone.timedelta(days=1)):
        assert portal_link_request(tenant=world.acme, email="alice@example.test")
