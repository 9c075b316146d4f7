"""Credit notes go to the invoice's recipients like invoices (once, attached or linked as the
contract says), and say in words what became of the money."""

import re
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import translation

from billing.documents.credit_notes import credit_note_issue
from billing.documents.pdf import credit_note_pdf
from billing.documents.selectors import credit_note_outcome_sentences
from billing.documents.services import invoice_void
from billing.documents.tasks import send_credit_note_email, send_invoice_emails
from billing.models import CreditNote, CreditNoteDelivery
from billing.payments.refunds import credit_note_refund
from billing.payments.services import invoice_mark_paid, invoice_pay
from core.roles import SYSTEM
from tests.billing.test_payments import save_card
from tests.conftest import client_for
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(world, invoice):
    """alpha's invoice, e-mailed to its invoice recipients."""
    world.alpha.invoice_recipients = ["ap@alpha.test", "cfo@alpha.test"]
    world.alpha.save(update_fields=["invoice_recipients"])
    send_invoice_emails([invoice.pk])
    mail.outbox.clear()
    return invoice


def notes_mail(note):
    return [m for m in mail.outbox if note.number in m.subject]


def anonymous(tenant):
    return client_for(None, tenant)


def half(invoice):
    return {invoice.lines.get().pk: Decimal("0.5")}


def test_an_issued_credit_note_is_e_mailed_once_with_its_pdf(
    world, sent, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = credit_note_issue(invoice=sent, actor=SYSTEM, today=date(2026, 3, 2), reason="Wrong")
    send_credit_note_email(note.pk)  # a retry sends nothing twice
    [message] = notes_mail(note)
    assert message.to == ["ap@alpha.test", "cfo@alpha.test"]
    assert message.subject.endswith(f"Credit note {note.number} for invoice {sent.number}")
    assert f"correcting invoice {sent.number} of 1 Mar 2026" in message.body
    assert f"reduced the amount due on invoice {sent.number} by €119.00" in message.body
    assert message.attachments[0][0] == f"{note.number}.pdf"
    delivery = CreditNoteDelivery.objects.get(credit_note=note)
    assert delivery.attached and delivery.recipients == message.to


def test_link_delivery_sends_a_signed_link_to_the_pdf(
    world, sent, eager_tasks, django_capture_on_commit_callbacks
):
    world.alpha.document_delivery = "link"
    world.alpha.save(update_fields=["document_delivery"])
    with django_capture_on_commit_callbacks(execute=True):
        note = credit_note_issue(invoice=sent, actor=SYSTEM, today=date(2026, 3, 2), reason="Wrong")
    [message] = notes_mail(note)
    assert not message.attachments
    link = re.search(r"https?://acme\.localhost\S*/l/credit-note/\S+/pdf", message.body).group(0)
    pdf = anonymous(world.acme).get(urlsplit(link).path)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    # Another business's host, or a tampered token: the friendly 404.
    assert anonymous(world.globex).get(urlsplit(link).path).status_code == 404
    assert anonymous(world.acme).get(urlsplit(link).path[:-8] + "x/pdf").status_code == 404


def test_a_note_for_an_invoice_never_sent_is_not_e_mailed(
    world, invoice, eager_tasks, django_capture_on_commit_callbacks
):
    """A checkout that expired unpaid voids an invoice nobody was sent: no e-mail either."""
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        note = invoice_void(invoice=invoice, actor=SYSTEM, reason="x", today=date(2026, 3, 2))
    assert not notes_mail(note) and not CreditNoteDelivery.objects.exists()


def test_the_void_credit_note_is_e_mailed_in_the_buyers_language(
    world, sent, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = invoice_void(invoice=sent, actor=SYSTEM, reason="x", today=date(2026, 3, 2))
    [message] = notes_mail(note)
    assert f"Invoice {sent.number} is cancelled" in pdf_text(credit_note_pdf(note).pdf.read())
    assert "reduced the amount due" in message.body


def test_wording_when_the_rest_is_kept_as_credit(world, invoice):
    invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=Decimal("100"))
    note = credit_note_issue(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 2), reason="x")
    with translation.override("en"):
        said = credit_note_outcome_sentences(note)
    assert said == [
        f"This credit note reduced the amount due on invoice {invoice.number} by €19.00.",
        "€100.00 was credited to your account for future invoices.",
    ]
    text = " ".join(pdf_text(credit_note_pdf(note).pdf.read()).split())
    assert "€100.00 was credited to your account for future invoices." in text
    page = world.client(world.alice).get("/invoices/").content.decode()
    assert "was credited to your account for future invoices" in page


def test_wording_when_paid_back_by_bank_transfer(world, invoice):
    invoice_mark_paid(invoice=invoice, actor=SYSTEM, amount=invoice.gross_amount)
    note = credit_note_refund(
        invoice=invoice, actor=SYSTEM, today=date(2026, 3, 5), reason="x", quantities=half(invoice)
    )
    with translation.override("en"):
        said = credit_note_outcome_sentences(note)
    assert said == ["€59.50 is refunded to your bank account by transfer, as of 5 Mar 2026."]


def test_wording_when_refunded_to_the_card(
    world,
    stripe_acme,
    invoice,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    invoice_pay(invoice=invoice, method=save_card(world, stripe_acme), actor=world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        note = credit_note_refund(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 5), reason="x")
    with translation.override("en"):
        said = credit_note_outcome_sentences(note)
    assert said == ["€119.00 is refunded to your card, as of 5 Mar 2026."]
    assert CreditNote.objects.get().settlement == "refund"


def test_the_german_pdf_states_it_in_german_words_once_translated(world, invoice):
    """The wording goes through gettext in the buyer's language (the catalogue is the lead's)."""
    note = credit_note_issue(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 2), reason="x")
    with translation.override("de"):
        said = credit_note_outcome_sentences(note)
    assert len(said) == 1 and invoice.number in said[0] and "119,00" in said[0]
