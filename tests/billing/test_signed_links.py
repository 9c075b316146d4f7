"""E-mailed invoice links: open that one invoice without a login; expire; revocable."""

import re
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail, signing
from django.test import Client

from billing.documents.links import invoice_link_path
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import InvoiceDelivery, TaxRate
from contracts.services import customer_links_revoke
from core.roles import SYSTEM

pytestmark = pytest.mark.django_db


def issue(world, customer=None, issued=date(2026, 3, 1)):
    TaxRate.objects.get_or_create(
        tenant=(customer or world.alpha).tenant,
        is_default=True,
        defaults={"name": "Standard", "rate": Decimal("19")},
    )
    invoice = invoice_create_draft(customer=customer or world.alpha, actor=SYSTEM)
    invoice_add_line(invoice=invoice, description="Helpdesk", unit_price=Decimal(100), actor=SYSTEM)
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=issued)


def anonymous(tenant):
    return Client(HTTP_HOST=f"{tenant.slug}.localhost", HTTP_ACCEPT_LANGUAGE="en")


def test_the_link_opens_the_invoice_and_its_pdf_without_login(world):
    invoice = issue(world)
    path = invoice_link_path(invoice)
    page = anonymous(world.acme).get(path)
    assert page.status_code == 200 and invoice.number in page.content.decode()
    pdf = anonymous(world.acme).get(path + "pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert anonymous(world.acme).get("/invoices/").status_code == 302  # the rest needs a login


@pytest.mark.parametrize("spoil", ["tamper", "other_host", "revoked", "expired"])
def test_a_spoiled_link_is_a_friendly_404(world, spoil):
    with time_machine.travel("2026-03-01 10:00:00+01:00", tick=False):
        invoice = issue(world)
        path = invoice_link_path(invoice)
    client, now = anonymous(world.acme), "2026-03-02 10:00:00+01:00"
    if spoil == "tamper":
        path = path.replace(path.split(":")[-2][-3:], "xyz")
    elif spoil == "other_host":
        client = anonymous(world.globex)
    elif spoil == "revoked":
        customer_links_revoke(customer=world.alpha, actor=world.alice)
    elif spoil == "expired":
        now = "2026-05-01 10:00:00+02:00"  # Acme's links last 60 days
    with time_machine.travel(now, tick=False):
        response = client.get(path)
    assert response.status_code == 404
    assert "This link no longer works" in response.content.decode()


def test_finalizing_e_mails_the_invoice_once_with_the_link_and_the_pdf(world):
    world.alpha.invoice_recipients = ["ap@alpha.test"]
    world.alpha.save()
    invoice = issue(world)  # eager tasks without Redis; with Redis see the transactional test
    from billing.documents.tasks import send_invoice_emails

    send_invoice_emails([invoice.pk])  # what the worker runs; a retry sends nothing twice
    send_invoice_emails([invoice.pk])
    sent = [m for m in mail.outbox if invoice.number in m.subject]
    assert len(sent) == 1 and sent[0].to == ["ap@alpha.test"]
    link = re.search(r"https?://acme\.localhost\S*/l/invoice/\S+/", sent[0].body).group(0)
    assert anonymous(world.acme).get(urlsplit(link).path).status_code == 200
    assert sent[0].attachments[0][0] == f"{invoice.number}.pdf"
    assert InvoiceDelivery.objects.get(invoice=invoice).attached


def test_link_delivery_sends_no_attachment(world):
    world.alpha.document_delivery = "link"
    world.alpha.save()
    invoice = issue(world)
    from billing.documents.tasks import send_invoice_emails

    send_invoice_emails([invoice.pk])
    sent = [m for m in mail.outbox if invoice.number in m.subject]
    assert sent and not sent[0].attachments


def test_billing_staff_e_mail_an_invoice_again(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    from tests.conftest import client_for

    invoice = issue(world)
    mail.outbox.clear()
    from billing.documents.tasks import send_invoice_emails

    send_invoice_emails([invoice.pk])
    client = client_for(world.staff["acme", "billing"], world.acme)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/manage/billing/invoice/", {"action": "email", "_selected_action": [invoice.pk]}
        )
    assert len([m for m in mail.outbox if invoice.number in m.subject]) == 2
    support = client_for(world.staff["acme", "support"], world.acme)
    support.post("/manage/billing/invoice/", {"action": "email", "_selected_action": [invoice.pk]})
    assert len([m for m in mail.outbox if invoice.number in m.subject]) == 2  # not Support's


def test_an_invoice_handed_over_outside_kontor_is_not_e_mailed(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    from billing.documents.services import invoice_add_line, invoice_create_draft
    from tests.conftest import client_for

    TaxRate.objects.get_or_create(
        tenant=world.acme, is_default=True, defaults={"name": "Standard", "rate": Decimal("19")}
    )
    draft = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    invoice_add_line(invoice=draft, description="Onboarding", unit_price=Decimal(300), actor=SYSTEM)
    mail.outbox.clear()
    client = client_for(world.staff["acme", "billing"], world.acme)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        client.post(
            "/manage/billing/invoice/",
            {"action": "finalize_as_sent", "_selected_action": [draft.pk]},
        )
    assert queued  # the invoice e-mail was queued, and ran
    draft.refresh_from_db()
    assert draft.status == "open" and draft.number
    assert not mail.outbox  # the e-mail queued by finalizing found it delivered
    assert InvoiceDelivery.objects.get(invoice=draft).recipients == []


def crafted(payload: str) -> str:
    """A token whose payload is hand-written JSON, with a made-up timestamp and signature."""
    return signing.b64_encode(payload.encode()).decode() + ":1abcde:" + "x" * 43


@pytest.mark.parametrize("page", ["", "pdf", "pay/"])
@pytest.mark.parametrize(
    "payload",
    [
        '{"c": 1e400, "o": 1}',
        '{"c": Infinity, "o": 1}',
        '{"c": -1, "o": 1}',
        '{"c": "1", "o": 1}',
        '{"c": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"c": 1, "o": 1, "pad": "' + "x" * 5000 + '"}',
    ],
    ids=["huge-float", "infinity", "negative", "string", "deeply-nested", "overlong"],
)
def test_a_crafted_token_is_a_friendly_404_for_anyone(world, page, payload):
    issue(world)
    response = anonymous(world.acme).get(f"/l/invoice/{crafted(payload)}/{page}")
    assert response.status_code == 404
    assert "This link no longer works" in response.content.decode()
