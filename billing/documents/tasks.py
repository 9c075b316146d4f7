"""Celery entry points of documents: sending invoices (e-mail, or the business's e-invoice
channel), credit-note e-mails and the PDF archive."""

import logging

from celery import shared_task

from billing.documents.models import CreditNote, Invoice, InvoiceStatus


@shared_task(name="billing.tasks.send_invoice_emails", acks_late=True)
def send_invoice_emails(invoice_ids: list[int], again: bool = False) -> int:
    """E-mail finalized invoices (a whole billing-run batch at a time). Safe to retry: each
    invoice is e-mailed once (InvoiceDelivery), unless staff send it `again`."""
    from billing.documents.transmission import TransmissionStatus, invoice_transmit

    receipts = [invoice_transmit(pk, again=again) for pk in invoice_ids]
    return sum(receipt.status == TransmissionStatus.SENT for receipt in receipts)


@shared_task(name="billing.tasks.send_credit_note_email", acks_late=True)
def send_credit_note_email(note_id: int) -> bool:
    """E-mail an issued credit note. Safe to retry: each note is e-mailed once
    (CreditNoteDelivery)."""
    from billing.documents.transmission import TransmissionStatus, credit_note_transmit

    return credit_note_transmit(note_id).status == TransmissionStatus.SENT


@shared_task(name="billing.tasks.store_pdfs", acks_late=True)
def store_pdfs(
    invoice_ids: list[int] | None = None, credit_note_ids: list[int] | None = None
) -> int:
    """Render and store the PDFs of documents just issued, right after the transaction that
    issued them committed (a billing-run batch at a time). Safe to retry: each PDF is stored
    once. A document that fails is logged and left to the hourly `archive_pdfs`."""
    from billing.documents.pdf import credit_note_pdf, invoice_pdf

    done = 0
    for model, ids, store in (
        (Invoice, invoice_ids or [], invoice_pdf),
        (CreditNote, credit_note_ids or [], credit_note_pdf),
    ):
        for document in model.objects.filter(pk__in=ids, pdf="").exclude(number=""):
            try:
                store(document)
            except Exception:
                logging.getLogger(__name__).exception("PDF of %s not stored", document)
            else:
                done += 1
    return done


ARCHIVE_BATCH = 500


@shared_task(name="billing.tasks.archive_pdfs", acks_late=True)
def archive_pdfs(limit: int = ARCHIVE_BATCH) -> int:
    """Hourly: render and store the PDF of finalized invoices and credit notes that have none
    yet, newest first, at most `limit` tries per run (a document that keeps failing is logged
    and never holds up the others). Each document is rendered once (see billing.documents.pdf)."""

    from billing.documents.pdf import credit_note_pdf, invoice_pdf

    done = tried = 0
    invoices = Invoice.objects.exclude(status=InvoiceStatus.DRAFT).filter(pdf="")
    notes = CreditNote.objects.filter(pdf="")
    for queryset, store in ((invoices, invoice_pdf), (notes, credit_note_pdf)):
        for document in queryset.select_related("tenant").order_by("-id")[: limit - tried]:
            tried += 1
            try:
                store(document)
            except Exception:
                logging.getLogger(__name__).exception("PDF of %s not archived", document)
            else:
                done += 1
    return done


@shared_task(name="billing.tasks.render_invoice_pdfs", acks_late=True)
def render_invoice_pdfs(job_id: int) -> None:
    """Back office: the PDFs of the invoices a staff member selected, with a progress bar."""
    from billing.documents.regeneration import invoice_pdfs_job

    invoice_pdfs_job(job_id)
