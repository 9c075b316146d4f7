"""The customer's side of quotes: the list, a quote's page, approving and declining it in the
portal and through its e-mailed link, and where each approval leads."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from billing.documents.links import invoice_link_path
from contracts.models import LegalAcceptance
from contracts.services import legal_document_publish
from core.roles import SYSTEM, ContactRole
from quotes.approval import quote_approve
from quotes.lifecycle import quote_send, quote_withdraw
from quotes.links import quote_link_path
from quotes.models import Quote, QuoteStatus
from tests.factories import ContactFactory
from tests.quotes.helpers import TODAY, approval, pending_quote

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _two_days_after_sending():
    with time_machine.travel("2026-03-12 10:00:00+01:00", tick=False):
        yield


BROWSER = "Mozilla/5.0 (X11; Linux x86_64) KontorTest/1.0"


def sent(customer, **kwargs) -> Quote:
    quote = pending_quote(customer, **kwargs)
    return quote_send(quote=quote, actor=SYSTEM, today=TODAY)


def approve_data(quote: Quote, **changes) -> dict:
    return {"accept_terms": "on", "terms_id": "", "name": "", **changes}


# The list -------------------------------------------------------------------------------------


def test_the_list_shows_quotes_awaiting_approval_first_and_never_drafts(world):
    old = sent(world.alpha, recurring=False)
    quote_withdraw(quote=old, actor=world.staff["acme", "billing"])
    waiting = sent(world.alpha, recurring=False)
    draft = pending_quote(world.alpha, recurring=False)
    page = world.client(world.alice).get("/quotes/").content.decode()
    assert page.index(f'href="/quotes/{waiting.pk}/"') < page.index(f'href="/quotes/{old.pk}/"')
    assert f'href="/quotes/{draft.pk}/"' not in page
    assert "Withdrawn" in page
    assert "Valid until" in page and "1,699.99" in page


def test_outsiders_see_none_of_alphas_quotes(world):
    quote = sent(world.alpha, recurring=False)
    assert f"/quotes/{quote.pk}/" not in world.client(world.bob).get("/quotes/").content.decode()


# The quote's page ------------------------------------------------------------------------------


def test_the_page_shows_lines_totals_recurring_terms_and_the_approve_form(world):
    quote = sent(world.alpha)
    page = world.client(world.alice).get(f"/quotes/{quote.pk}/").content.decode()
    for text in ("Set-up", "Training day", "VAT 20 % of", "Starts on", "per month", "Approve"):
        assert text in page, text
    assert f'action="/quotes/{quote.pk}/approve/"' in page


def test_a_member_sees_who_must_approve_and_may_not_approve(world):
    member = ContactFactory(customer=world.alpha, role=ContactRole.MEMBER).user
    quote = sent(world.alpha, recurring=False)
    client = world.client(member)
    page = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert "An account owner or billing contact" in page
    assert "/approve/" not in page
    response = client.post(f"/quotes/{quote.pk}/approve/", approve_data(quote))
    assert response.status_code == 403
    assert client.post(f"/quotes/{quote.pk}/decline/", {}).status_code == 403
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT


@pytest.mark.parametrize("how", ["expired", "withdrawn", "past_validity"])
def test_a_closed_quote_says_so_and_has_no_approve_button(world, how):
    quote = sent(world.alpha, recurring=False)
    if how == "withdrawn":
        quote_withdraw(quote=quote, actor=world.staff["acme", "billing"])
    elif how == "expired":
        Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.EXPIRED)
    else:
        Quote.objects.filter(pk=quote.pk).update(valid_until=date(2026, 3, 11))
    page = world.client(world.alice).get(f"/quotes/{quote.pk}/").content.decode()
    word = "withdrawn" if how == "withdrawn" else "expired"
    assert f"This quote {'was withdrawn' if word == 'withdrawn' else 'has expired'}" in page
    assert "/approve/" not in page
    response = world.client(world.alice).post(f"/quotes/{quote.pk}/approve/", approve_data(quote))
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.status != QuoteStatus.CONVERTED


def test_a_superseded_quote_links_to_its_new_version_once_that_is_sent(world):
    quote = sent(world.alpha, recurring=False)
    # As quote_revise leaves them (built by hand here: see the report on quote_revise).
    revision = pending_quote(world.alpha, recurring=False)
    Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.SUPERSEDED)
    Quote.objects.filter(pk=revision.pk).update(revision_of=quote)
    client = world.client(world.alice)
    page = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert "replaced by a revised version" in page
    assert f'href="/quotes/{revision.pk}/"' not in page  # a draft revision is not shown
    quote_send(quote=revision, actor=SYSTEM, today=TODAY)
    page = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert f'href="/quotes/{revision.pk}/"' in page
    assert "/approve/" not in page


def test_the_pdf_downloads(world):
    quote = sent(world.alpha, recurring=False)
    response = world.client(world.alice).get(f"/quotes/{quote.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


# Approving in the portal ---------------------------------------------------------------------


def test_approving_records_who_from_where_and_leads_to_the_invoice_with_bank_details(world):
    quote = sent(world.alpha, recurring=False)
    client = world.client(world.alice)
    response = client.post(
        f"/quotes/{quote.pk}/approve/",
        approve_data(quote),
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT=BROWSER,
    )
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.CONVERTED
    assert response.status_code == 302
    assert response["Location"] == f"/invoices/{quote.invoice_id}/"
    assert (quote.approver_ip, quote.approver_user_agent) == ("203.0.113.9", BROWSER)
    assert quote.approved_by.user == world.alice
    invoice_page = client.get(response["Location"]).content.decode()
    assert "Please transfer the amount due to IBAN" in invoice_page
    assert f'href="/quotes/{quote.pk}/"' in invoice_page  # back to the quote it came from
    page = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert "203.0.113.9" in page and BROWSER in page
    assert f'href="/invoices/{quote.invoice_id}/"' in page


def test_approving_twice_lands_on_the_same_result(world):
    quote = sent(world.alpha, recurring=False)
    client = world.client(world.alice)
    first = client.post(f"/quotes/{quote.pk}/approve/", approve_data(quote))
    second = client.post(f"/quotes/{quote.pk}/approve/", approve_data(quote))
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]


def test_a_business_that_takes_cards_sends_the_approver_to_pay_the_deposit(world, stripe_acme):
    quote = sent(world.alpha, deposit=("percent", Decimal(30)))
    response = world.client(world.alice).post(f"/quotes/{quote.pk}/approve/", approve_data(quote))
    quote.refresh_from_db()
    assert quote.deposit_invoice is not None and quote.invoice is None
    assert response["Location"] == f"/invoices/{quote.deposit_invoice_id}/pay/"


def test_only_subscriptions_lead_back_to_the_quote_naming_their_start(world):
    quote = pending_quote(world.alpha)
    for line in quote.lines.filter(kind="one_off"):
        line.delete()
    quote = quote_send(quote=quote, actor=SYSTEM, today=TODAY)
    client = world.client(world.alice)
    response = client.post(f"/quotes/{quote.pk}/approve/", approve_data(quote), follow=True)
    assert response.redirect_chain[-1][0] == f"/quotes/{quote.pk}/"
    page = response.content.decode()
    assert "Your subscriptions start" in page and "1 Apr 2026" in page
    (subscription,) = quote.subscriptions.all()
    assert f'href="/subscriptions/{subscription.pk}/"' in page
    sub_page = client.get(f"/subscriptions/{subscription.pk}/").content.decode()
    assert f'href="/quotes/{quote.pk}/"' in sub_page


def test_without_the_tick_or_the_signature_the_form_says_what_is_missing(world):
    world.acme.quote_signature_required = True
    world.acme.save()
    quote = sent(world.alpha, recurring=False)
    client = world.client(world.alice)
    page = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert "Type your full name to sign" in page
    response = client.post(f"/quotes/{quote.pk}/approve/", {"terms_id": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Accept the terms to approve the quote." in page
    assert "Type your full name to sign the approval." in page
    response = client.post(f"/quotes/{quote.pk}/approve/", approve_data(quote, name="Alice A"))
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.approver_name == "Alice A"


def test_published_terms_are_linked_and_a_newer_version_asks_to_read_again(world):
    terms = legal_document_publish(
        tenant=world.acme, kind="terms", version="1", title="Terms", body="…", actor=SYSTEM
    )
    LegalAcceptance.objects.create(tenant=world.acme, customer=world.alpha, document=terms)
    quote = sent(world.alpha, recurring=False)
    client = world.client(world.alice)
    page = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert f'href="/legal/{terms.pk}/"' in page
    assert f'value="{terms.pk}"' in page
    with time_machine.travel("2026-03-12 11:00:00+01:00", tick=False):  # published later
        newer = legal_document_publish(
            tenant=world.acme, kind="terms", version="2", title="Terms", body="…", actor=SYSTEM
        )
    LegalAcceptance.objects.create(tenant=world.acme, customer=world.alpha, document=newer)
    response = client.post(
        f"/quotes/{quote.pk}/approve/", approve_data(quote, terms_id=str(terms.pk)), follow=True
    )
    assert "The terms were updated while you were reading" in response.content.decode()
    assert f'value="{newer.pk}"' in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT


@pytest.mark.parametrize("junk", ["abc", "99999999999", "-1", "\x00"])
def test_a_junk_terms_version_is_a_message_never_an_error(world, junk):
    quote = sent(world.alpha, recurring=False)
    response = world.client(world.alice).post(
        f"/quotes/{quote.pk}/approve/", approve_data(quote, terms_id=junk)
    )
    assert response.status_code in (302, 400)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT


# Declining -------------------------------------------------------------------------------------


def test_declining_asks_first_and_keeps_the_reason(world):
    quote = sent(world.alpha, recurring=False)
    client = world.client(world.alice)
    page = client.get(f"/quotes/{quote.pk}/decline/").content.decode()
    assert "Decline quote" in page
    response = client.post(f"/quotes/{quote.pk}/decline/", {"reason": "Too expensive"})
    assert response["Location"] == f"/quotes/{quote.pk}/"
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DECLINED and quote.decline_reason == "Too expensive"
    page = client.get(f"/quotes/{quote.pk}/").content.decode()
    assert "Too expensive" in page and "/approve/" not in page


# The e-mailed link ------------------------------------------------------------------------------


def anonymous(world):
    return world.client(None)


def links_approve(tenant) -> None:
    """The business lets its e-mailed quote links approve (off by default)."""
    tenant.quote_link_approval = True
    tenant.save(update_fields=["quote_link_approval"])


def test_the_link_shows_the_quote_and_approves_with_a_typed_name(world):
    links_approve(world.acme)
    quote = sent(world.alpha, recurring=False)
    path = quote_link_path(quote)
    client = anonymous(world)
    page = client.get(path).content.decode()
    assert "Training day" in page and "Type your full name to sign" in page
    response = client.post(path + "approve/", approve_data(quote))
    assert response.status_code == 400
    assert "Type your full name to sign the approval." in response.content.decode()
    response = client.post(
        path + "approve/", approve_data(quote, name="Alice Alpha"), REMOTE_ADDR="198.51.100.7"
    )
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.CONVERTED
    assert quote.approved_by is None and quote.approver_name == "Alice Alpha"
    assert quote.approver_ip == "198.51.100.7"
    # A bank-transfer business: the invoice's own link, which shows its bank details.
    assert response["Location"] == invoice_link_path(quote.invoice)
    assert "IBAN" in client.get(response["Location"]).content.decode()


def test_the_link_leads_to_the_invoices_card_payment_where_cards_are_taken(world, stripe_acme):
    links_approve(world.acme)
    quote = sent(world.alpha, recurring=False)
    path = quote_link_path(quote)
    response = anonymous(world).post(path + "approve/", approve_data(quote, name="Alice"))
    quote.refresh_from_db()
    assert response["Location"] == invoice_link_path(quote.invoice) + "pay/"


def test_a_business_that_does_not_allow_link_approval_asks_to_log_in(world):
    world.acme.quote_link_approval = False
    world.acme.save()
    quote = sent(world.alpha, recurring=False)
    path = quote_link_path(quote)
    client = anonymous(world)
    page = client.get(path).content.decode()
    assert f"/accounts/login/?next=%2Fquotes%2F{quote.pk}%2F" in page
    assert "/approve/" not in page
    client.post(path + "approve/", approve_data(quote, name="Mallory"))
    client.post(path + "decline/", {"reason": "no"})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT


def test_the_link_declines_after_asking(world):
    links_approve(world.acme)
    quote = sent(world.alpha, recurring=False)
    path = quote_link_path(quote)
    client = anonymous(world)
    assert client.get(path + "decline/").status_code == 200
    response = client.post(path + "decline/", {"reason": "Later"})
    assert response["Location"] == path
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DECLINED


def test_the_link_of_an_approved_quote_shows_what_it_became(world):
    quote = sent(world.alpha, recurring=False)
    quote = quote_approve(quote=quote, actor=world.alice, approval=approval(), today=TODAY)
    page = anonymous(world).get(quote_link_path(quote)).content.decode()
    assert invoice_link_path(quote.invoice) in page
    assert "/approve/" not in page


def _open(client, path: str):
    return client.post(path) if path.endswith("approve/") else client.get(path)


@pytest.mark.parametrize("suffix", ["", "pdf", "approve/", "decline/"])
def test_a_tampered_revoked_or_expired_link_is_a_404_page(world, suffix):
    from contracts.services import customer_links_revoke

    quote = sent(world.alpha, recurring=False)
    path = quote_link_path(quote)
    client = anonymous(world)
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    assert _open(client, tampered + suffix).status_code == 404
    with time_machine.travel(date(2026, 3, 12) + timedelta(days=61)):
        assert _open(client, path + suffix).status_code == 404
    customer_links_revoke(customer=world.alpha, actor=SYSTEM)
    response = _open(client, path + suffix)
    assert response.status_code == 404
    assert "This link no longer works" in response.content.decode()


def test_another_tenants_host_does_not_open_the_link(world):
    quote = sent(world.alpha, recurring=False)
    response = world.client(None, tenant=world.globex).get(quote_link_path(quote))
    assert response.status_code == 404
