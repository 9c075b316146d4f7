"""E-invoice transmission: each business sends through one channel, e-mail unless a provider's
channel is registered and chosen; the billing run's e-mail task goes through it."""

from datetime import date

import pytest
from django.core import mail

from billing.documents import transmission
from billing.documents.credit_notes import credit_note_issue
from billing.documents.pdf import invoice_xml
from billing.documents.tasks import send_invoice_emails
from billing.documents.transmission import (
    EInvoiceFiles,
    EmailChannel,
    TransmissionReceipt,
    TransmissionStatus,
    channel_for,
    invoice_transmit,
    register_channel,
)
from core.models import Tenant
from core.roles import SYSTEM
from tests.billing.test_xrechnung import issued

pytestmark = pytest.mark.django_db


class RecordingChannel:
    """Stands in for a provider's platform (none can be reached from here): it keeps what it
    was given and answers as a platform would."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []

    def send(self, document, files, *, again=False) -> TransmissionReceipt:
        self.sent.append((document.number, files.xml, files.pdf))
        return TransmissionReceipt(
            channel=self.name,
            number=document.number,
            status=TransmissionStatus.SENT,
            reference=f"msg-{document.number}",
        )

    def status(self, receipt) -> TransmissionStatus:
        return TransmissionStatus.ACCEPTED


@pytest.fixture
def recording():
    channel = RecordingChannel()
    register_channel(channel.name, lambda: channel)
    yield channel
    transmission.CHANNELS.pop(channel.name)


def test_a_business_sends_by_e_mail_unless_it_chose_otherwise(world):
    assert isinstance(channel_for(world.acme), EmailChannel)
    invoice = issued(world)
    receipt = invoice_transmit(invoice.pk)
    assert (receipt.channel, receipt.number, receipt.status) == ("email", invoice.number, "sent")
    assert len(mail.outbox) == 1
    # Once per invoice, unless sent again.
    assert invoice_transmit(invoice.pk).status == TransmissionStatus.NOT_SENT
    assert invoice_transmit(invoice.pk, again=True).status == TransmissionStatus.SENT
    assert len(mail.outbox) == 2


def test_the_billing_runs_task_sends_through_the_businesss_channel(world, recording):
    invoice = issued(world)
    Tenant.objects.filter(pk=world.acme.pk).update(einvoice_channel=recording.name)
    assert send_invoice_emails([invoice.pk]) == 1
    ((number, xml, pdf),) = recording.sent
    assert number == invoice.number
    assert xml == invoice_xml(invoice) and pdf.startswith(b"%PDF")
    assert mail.outbox == []  # the provider carries it, not an e-mail


def test_an_unregistered_channel_falls_back_to_e_mail(world):
    world.acme.einvoice_channel = "gone"
    assert isinstance(channel_for(world.acme), EmailChannel)


def test_the_files_are_built_only_when_asked_for(world):
    invoice = issued(world)
    files = EInvoiceFiles(invoice)
    invoice.refresh_from_db()
    assert not invoice.pdf  # nothing rendered yet
    assert files.xml == invoice_xml(invoice)
    assert files.pdf.startswith(b"%PDF")


def test_e_mail_sends_a_credit_note_once(world):
    invoice = issued(world)
    send_invoice_emails([invoice.pk])  # a note is e-mailed when its invoice went out
    note = credit_note_issue(
        invoice=invoice, actor=SYSTEM, today=date(2026, 3, 20), reason="Wrong customer"
    )
    mail.outbox.clear()
    first = EmailChannel().send(note, EInvoiceFiles(note))
    again = EmailChannel().send(note, EInvoiceFiles(note))
    assert (first.status, again.status) == (TransmissionStatus.SENT, TransmissionStatus.NOT_SENT)
    assert len(mail.outbox) == 1 and note.number in mail.outbox[0].body
    assert EmailChannel().status(first) == TransmissionStatus.SENT


def test_without_the_e_invoicing_module_a_chosen_channel_gives_way_to_e_mail(world, recording):
    world.acme.einvoice_channel = recording.name
    assert channel_for(world.acme) is recording
    world.acme.licence_modules = [m for m in world.acme.licence_modules if m != "einvoicing"]
    assert isinstance(channel_for(world.acme), EmailChannel)
