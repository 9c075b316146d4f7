"""How an issued e-invoice reaches the buyer: one transmission channel per business.

Kontor sends invoices by e-mail: the Factur-X PDF attached or linked as the contract says, and
the XRechnung XML attached for customers who chose XRechnung. Where the law asks for another
channel (a French approved platform, Peppol, Italy's SDI, Turkey's GIB), a provider that holds
an account there carries the document; such a provider plugs in here as a channel, registered
under a value of core.models.EInvoiceChannel, and the business chooses it in its settings.
docs/einvoice-transmission.md says how. Kontor ships no such provider: sending through one needs
an account with it, which does not exist here.

The billing run's e-mail task hands each invoice to `invoice_transmit`, which asks the business's
channel to send it."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Protocol

from django.utils import timezone

from billing.documents.emails import send_credit_note_issued, send_invoice_issued
from billing.documents.models import CreditNote, Invoice
from billing.documents.pdf import credit_note_pdf, credit_note_xml, invoice_pdf, invoice_xml
from core.licence import LicenceModule, licence_enabled
from core.models import EInvoiceChannel, Tenant


class TransmissionStatus(enum.StrEnum):
    SENT = "sent"  # handed to the channel; nothing known beyond that (e-mail never knows more)
    NOT_SENT = "not_sent"  # nothing went out (already sent, no recipients, not sendable)
    DELIVERED = "delivered"  # the channel says the buyer's side received it
    ACCEPTED = "accepted"  # the buyer or the authority accepted it (SDI, GIB, PDP statuses)
    REJECTED = "rejected"  # the buyer or the authority refused it: a correction is due


@dataclass(frozen=True)
class TransmissionReceipt:
    """What a channel says about one document it was given."""

    channel: str
    number: str  # the document's number
    status: TransmissionStatus
    reference: str = ""  # the provider's message or transmission id, to look the status up
    at: datetime = field(default_factory=timezone.now)
    detail: str = ""


class EInvoiceFiles:
    """The files of an issued document, built only when a channel asks for them: the stored
    PDF (Factur-X / ZUGFeRD) and the EN 16931 XML it carries. A channel that needs another
    syntax (XRechnung, Peppol BIS UBL, FatturaPA, UBL-TR) builds it from the same document."""

    def __init__(self, document: Invoice | CreditNote) -> None:
        self.document = document

    @cached_property
    def pdf(self) -> bytes:
        store = invoice_pdf if isinstance(self.document, Invoice) else credit_note_pdf
        with store(self.document).pdf.open("rb") as f:
            return f.read()

    @cached_property
    def xml(self) -> bytes:
        build = invoice_xml if isinstance(self.document, Invoice) else credit_note_xml
        return build(self.document)


class TransmissionChannel(Protocol):
    """A way to deliver issued e-invoices. `send` is called once per document (and again only
    when staff send it again); it must be safe to retry. `status` asks the channel what became
    of a document it took: platforms report acceptance or rejection later."""

    name: str

    def send(
        self, document: Invoice | CreditNote, files: EInvoiceFiles, *, again: bool = False
    ) -> TransmissionReceipt: ...

    def status(self, receipt: TransmissionReceipt) -> TransmissionStatus: ...


class EmailChannel:
    """The channel Kontor has: the invoice and credit-note e-mails
    (billing/documents/emails.py) to the customer's invoice recipients. It reads the files
    itself, as the contract says (attached or linked PDF, XRechnung for those who chose it).
    E-mail reports no delivery: a sent e-mail stays SENT."""

    name = EInvoiceChannel.EMAIL

    def send(
        self, document: Invoice | CreditNote, files: EInvoiceFiles, *, again: bool = False
    ) -> TransmissionReceipt:
        if isinstance(document, Invoice):
            sent = send_invoice_issued(document.pk, again=again)
        else:  # a credit note is e-mailed once (CreditNoteDelivery): `again` is for invoices
            sent = send_credit_note_issued(document.pk)
        return TransmissionReceipt(
            channel=self.name,
            number=document.number,
            status=TransmissionStatus.SENT if sent else TransmissionStatus.NOT_SENT,
        )

    def status(self, receipt: TransmissionReceipt) -> TransmissionStatus:
        return receipt.status


CHANNELS: dict[str, Callable[[], TransmissionChannel]] = {EInvoiceChannel.EMAIL: EmailChannel}


def register_channel(name: str, factory: Callable[[], TransmissionChannel]) -> None:
    """Make a channel available under `name`, a value of core.models.EInvoiceChannel (an app's
    ready() calls this for the provider it integrates)."""
    CHANNELS[name] = factory


def channel_for(tenant: Tenant) -> TransmissionChannel:
    """The business's channel; e-mail when its setting names none that is registered, so an
    invoice always goes out the way it always did. Without the e-invoicing module, e-mail too."""
    channel = tenant.einvoice_channel
    if not licence_enabled(tenant, LicenceModule.EINVOICING):
        channel = EInvoiceChannel.EMAIL
    factory = CHANNELS.get(channel) or CHANNELS[EInvoiceChannel.EMAIL]
    return factory()


def invoice_transmit(invoice_id: int, *, again: bool = False) -> TransmissionReceipt:
    """Send one finalized invoice through its business's channel."""
    invoice = Invoice.objects.select_related("tenant", "customer").get(pk=invoice_id)
    return channel_for(invoice.tenant).send(invoice, EInvoiceFiles(invoice), again=again)


def credit_note_transmit(note_id: int) -> TransmissionReceipt:
    """Send one issued credit note through its business's channel."""
    note = CreditNote.objects.select_related("tenant", "customer").get(pk=note_id)
    return channel_for(note.tenant).send(note, EInvoiceFiles(note))
