"""What the customer receives: the quote's PDF as sent (stored once, in the buyer's language),
its approved copy with the approval record, and the e-mail with a signed link that opens that
one quote and nothing else."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core import mail

from core.roles import SYSTEM
from core.signing import LinkInvalid
from quotes.approval import quote_approve
from quotes.emails import send_quote_sent
from quotes.lifecycle import quote_send
from quotes.links import quote_from_token, quote_link_path
from quotes.models import Quote
from quotes.pdf import quote_approved_pdf, quote_current_pdf, quote_pdf
from tests.helpers import pdf_text
from tests.quotes.helpers import TODAY, approval, pending_quote

pytestmark = pytest.mark.django_db
SPACE = r"[\s\u00a0\u202f]"  # thousands separators as French formats them


def sent(customer, *, delivery: str | None = None, **kwargs):
    """A sent quote, with the e-mail and PDF its sending queues done by the worker."""
    if delivery is not None:
        customer.document_delivery = delivery
        customer.save(update_fields=["document_delivery"])
    return quote_send(quote=pending_quote(customer, **kwargs), actor=SYSTEM, today=TODAY)


def stored_bytes(field) -> bytes:
    with field.open("rb") as pdf:
        return pdf.read()


class TestThePdfAsSent:
    def test_it_is_stored_once_and_never_rendered_again(self, world):
        # Given a sent quote whose PDF was stored
        quote = quote_pdf(sent(world.alpha))
        content = stored_bytes(quote.pdf)
        assert content.startswith(b"%PDF")
        assert quote.pdf_sha256 == hashlib.sha256(content).hexdigest()
        # When its data changes and the PDF is asked for again
        Quote.objects.filter(pk=quote.pk).update(title="Something else entirely")
        again = quote_pdf(Quote.objects.get(pk=quote.pk))
        # Then the stored file is the same, byte for byte
        assert again.pdf.name == quote.pdf.name
        assert hashlib.sha256(stored_bytes(again.pdf)).hexdigest() == quote.pdf_sha256
        assert "Something else" not in pdf_text(stored_bytes(again.pdf))

    def test_it_shows_the_number_lines_and_totals(self, world):
        quote = quote_pdf(sent(world.alpha))
        text = pdf_text(stored_bytes(quote.pdf))
        assert "Q-2026-00001" in text and "Alpha Corp" in text
        for words in ("Set-up", "Training day", "Unit price", "€1,699.99", "€1,499.99"):
            assert words in text, words
        # The recurring line, per period, with its option
        assert "€105.00" in text and "× 3" in text

    def test_a_french_customer_gets_it_in_french(self, world):
        # Given globex (French) and its customer, whose documents are in French
        quote = quote_pdf(sent(world.charlie_co))
        assert quote.buyer["language"] == "fr"
        text = pdf_text(stored_bytes(quote.pdf))
        # Then the labels and amounts are French
        for words in ("Q-2026-00001", "Charlie SA", "Prix unitaire", "Quantité", "Désignation"):
            assert words in text, words
        assert "Unit price" not in text
        assert re.search(rf"1{SPACE}699,99{SPACE}€", text), text


class TestTheApprovedCopy:
    def test_it_carries_the_approval_record_and_leaves_the_pdf_as_sent_alone(self, world):
        # Given a sent quote with its PDF stored
        quote = quote_pdf(sent(world.alpha))
        as_sent = stored_bytes(quote.pdf)
        assert quote_approved_pdf(quote).approved_pdf.name == ""  # not approved yet
        # When alice approves it, signing
        quote = quote_approve(
            quote=quote,
            actor=world.alice,
            approval=approval(name="Alice Liddell", ip="203.0.113.9", user_agent="Firefox"),
            today=TODAY,
        )
        quote = quote_approved_pdf(quote)
        # Then the approved copy names her, her address and her browser
        text = pdf_text(stored_bytes(quote.approved_pdf))
        for words in ("Alice Liddell", "203.0.113.9", "alice@example.test", "Q-2026-00001"):
            assert words in text, words
        # And the PDF as sent is unchanged, while the customer now downloads the approved copy
        quote.refresh_from_db()
        assert stored_bytes(quote.pdf) == as_sent
        assert "203.0.113.9" not in pdf_text(as_sent)
        assert quote_current_pdf(quote)[1] == "approved_pdf"

    def test_the_task_queued_by_approval_stores_it(
        self, world, eager_tasks, django_capture_on_commit_callbacks
    ):
        quote = sent(world.alpha)
        with django_capture_on_commit_callbacks(execute=True):
            quote_approve(
                quote=quote, actor=world.alice, approval=approval(name="Alice Liddell"), today=TODAY
            )
        quote.refresh_from_db()
        assert "Q-2026-00001-approved" in quote.approved_pdf.name


class TestTheEmail:
    def send(self, world, customer, django_capture_on_commit_callbacks, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            quote = sent(customer, **kwargs)
        quote.refresh_from_db()
        return quote

    def test_it_goes_once_to_the_invoice_recipients_with_the_pdf_attached(
        self, world, eager_tasks, django_capture_on_commit_callbacks
    ):
        # Given a customer with invoice recipients, whose documents come attached
        world.alpha.invoice_recipients = ["ap@alpha.test", "cfo@alpha.test"]
        world.alpha.save()
        # When a quote is sent
        quote = self.send(world, world.alpha, django_capture_on_commit_callbacks)
        # Then one e-mail goes to them, with the stored PDF attached
        (message,) = mail.outbox
        assert message.to == ["ap@alpha.test", "cfo@alpha.test"]
        assert "Q-2026-00001" in message.subject
        ((name, content, mimetype),) = message.attachments
        assert (name, mimetype) == ("Q-2026-00001.pdf", "application/pdf")
        assert hashlib.sha256(content).hexdigest() == quote.pdf_sha256
        assert quote.emailed_to == ["ap@alpha.test", "cfo@alpha.test"] and quote.emailed_at
        # And the job running again sends nothing more
        assert send_quote_sent(quote.pk) is False
        assert len(mail.outbox) == 1

    def test_without_recipients_it_goes_to_the_owners_with_a_link_only_when_so_agreed(
        self, world, eager_tasks, django_capture_on_commit_callbacks
    ):
        quote = self.send(world, world.alpha, django_capture_on_commit_callbacks, delivery="link")
        (message,) = mail.outbox
        assert message.to == ["alice@example.test"]
        assert message.attachments == []
        assert quote_link_path(quote) in message.body
        assert quote.pdf.name  # stored all the same, for the link's download

    def test_its_link_opens_this_quote_and_nothing_else(
        self, world, eager_tasks, django_capture_on_commit_callbacks
    ):
        # Given the e-mail of a sent quote
        quote = self.send(world, world.alpha, django_capture_on_commit_callbacks)
        (message,) = mail.outbox
        match = re.search(r"https://acme\.localhost/l/quote/([^/\s]+)/", message.body)
        assert match, message.body
        token = match.group(1)
        # Then its token opens that quote on its business
        assert quote_from_token(tenant=world.acme, token=token) == quote
        # And a tampered token, or the token on another business, opens nothing
        tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        with pytest.raises(LinkInvalid):
            quote_from_token(tenant=world.acme, token=tampered)
        with pytest.raises(LinkInvalid):
            quote_from_token(tenant=world.globex, token=token)

    def test_another_businesss_token_opens_nothing_here(self, world):
        theirs = sent(world.charlie_co)
        token = quote_link_path(theirs).split("/")[3]
        assert quote_from_token(tenant=world.globex, token=token) == theirs
        with pytest.raises(LinkInvalid):
            quote_from_token(tenant=world.acme, token=token)

    def test_a_draft_is_never_e_mailed_nor_opened_by_a_link(self, world):
        draft = pending_quote(world.alpha)
        assert send_quote_sent(draft.pk) is False and mail.outbox == []
        token = quote_link_path(draft).split("/")[3]
        with pytest.raises(LinkInvalid):
            quote_from_token(tenant=world.acme, token=token)
