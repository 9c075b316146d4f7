from datetime import date
from decimal import Decimal

import pytest

from billing.documents.pdf import invoice_pdf
from billing.documents.services import invoice_add_line, invoice_create_draft, invoice_finalize
from billing.models import Invoice, TaxRate
from contracts.services import customer_update
from core.roles import SYSTEM
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db


def finalized(world):
    TaxRate.objects.create(tenant=world.acme, name="Standard", rate=Decimal("19"), is_default=True)
    world.acme.legal_name, world.acme.vat_id, world.acme.country = "Acme GmbH", "DE136695976", "DE"
    world.acme.iban, world.acme.bic = "DE89370400440532013000", "COBADEFFXXX"
    world.acme.save()
    customer_update(
        customer=world.alpha,
        actor=world.staff["acme", "billing"],
        changes={"vat_regime": "reverse_charge", "vat_id": "FR40303265045", "po_number": "PO-77"},
    )
    invoice = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    invoice_add_line(
        invoice=invoice,
        description="Helpdesk Team",
        unit_price=Decimal("49"),
        actor=SYSTEM,
        service_start=date(2026, 3, 1),
        service_end=date(2026, 3, 31),
    )
    return invoice_finalize(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 1))


def text_of(content: bytes) -> str:
    return " ".join(pdf_text(content).split())  # one space between words, whatever the layout


def test_the_pdf_carries_the_legal_mentions_and_is_stored_once(world):
    invoice = invoice_pdf(finalized(world))
    content = invoice.pdf.open("rb").read()
    text = text_of(content)
    for needed in (
        "INV-2026-000001",
        "Acme GmbH",
        "DE136695976",
        "FR40303265045",
        "PO-77",
        "Reverse charge: VAT to be accounted for by the recipient "
        "(Directive 2006/112/EC, art. 196).",
        "DE89370400440532013000",
        "Helpdesk",
        "VAT 0 % of €49.00",
        "01/03/2026",  # the service period, from (day/month/year: core.dates)
        "31/03/2026",  # … to
    ):
        assert needed in text, needed
    import hashlib

    assert hashlib.sha256(content).hexdigest() == invoice.pdf_sha256
    name = invoice.pdf.name
    again = invoice_pdf(Invoice.objects.get(pk=invoice.pk))
    assert again.pdf.name == name  # not rendered twice


def test_the_legal_mention_is_frozen_in_the_buyers_language_and_the_logo_printed(world):
    from django.core.files.base import ContentFile

    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
        b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00"
        b"\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    world.acme.logo.save("logo.png", ContentFile(png))
    world.alpha.language = "fr"
    world.alpha.save()
    invoice = finalized(world)
    assert invoice.buyer["vat_mention"].startswith("Autoliquidation")
    world.alpha.language = "en"
    world.alpha.save()  # later edits change nothing on the issued invoice
    content = invoice_pdf(Invoice.objects.get(pk=invoice.pk)).pdf.open("rb").read()
    assert "Autoliquidation" in text_of(content)
    assert b"/Subtype /Image" in content


def test_the_customer_downloads_it_in_their_language(world):
    invoice = finalized(world)
    world.alpha.language = "de"
    world.alpha.save()  # the snapshot keeps the language the invoice was issued in
    response = world.client(world.alice).get(f"/invoices/{invoice.pk}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = text_of(b"".join(response.streaming_content))
    assert "Invoice INV-2026-000001" in text


def test_the_credit_note_pdf_names_the_invoice_it_corrects_and_is_stored_once(world):
    from billing.documents.credit_notes import credit_note_issue
    from billing.documents.pdf import credit_note_pdf
    from billing.models import CreditNote

    invoice = finalized(world)
    note = credit_note_issue(
        invoice=invoice, actor=SYSTEM, today=date(2026, 3, 5), reason="Outage in March"
    )
    response = world.client(world.alice).get(f"/invoices/credit-notes/{note.pk}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = text_of(b"".join(response.streaming_content))
    for needed in (
        f"Credit note {note.number}",
        "INV-2026-000001",
        "Outage in March",
        "Acme GmbH",
        "DE136695976",
        "FR40303265045",
        "Reverse charge",
        "Helpdesk",
    ):
        assert needed in text, needed
    stored = CreditNote.objects.get(pk=note.pk)
    assert stored.pdf_sha256 and credit_note_pdf(stored).pdf.name == stored.pdf.name
    page = world.client(world.alice).get("/invoices/").content.decode()
    assert f"/invoices/credit-notes/{note.pk}/pdf" in page


def test_a_worker_archives_the_pdfs_of_finalized_documents_once(world):
    from billing.documents.credit_notes import credit_note_issue
    from billing.documents.tasks import archive_pdfs
    from billing.models import CreditNote

    invoice = finalized(world)
    credit_note_issue(invoice=invoice, actor=SYSTEM, today=date(2026, 3, 5), reason="Outage")
    draft = invoice_create_draft(customer=world.alpha, actor=SYSTEM)
    assert archive_pdfs() == 2
    assert Invoice.objects.get(pk=invoice.pk).pdf_sha256
    assert CreditNote.objects.get().pdf_sha256
    assert not Invoice.objects.get(pk=draft.pk).pdf  # drafts are never archived
    assert archive_pdfs() == 0
