"""How the billing run writes a batch of finalized invoices with their lines, events and audit
entries: COPY on PostgreSQL (the fast path), bulk ORM inserts elsewhere."""

from __future__ import annotations

import json
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from billing.documents.models import Invoice, InvoiceEvent, InvoiceLine, InvoiceStatus
from billing.run.bulk import bulk_set
from core.models import AuditEntry, Tenant
from core.page_versions import pages_changed

RUN_LABEL = "system: billing run"

LINE_COLUMNS = [
    "description",
    "quantity",
    "unit_price",
    "tax_rate",
    "net_amount",
    "tax_amount",
    "gross_amount",
    "service_start",
    "service_end",
]


def insert_by_copy(
    tenant: Tenant,
    today: date,
    invoices: list[Invoice],
    lines_of: list[list[dict]],
    now: datetime,
) -> None:
    """PostgreSQL: COPY instead of INSERT. Lines go in first — their invoice does not exist
    yet, so the frozen-invoice trigger lets them pass, and the foreign key is checked at
    commit — then the invoices, already finalized, then their events and audit entries."""
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('billing_invoice', 'id')) "
            "FROM generate_series(1, %s)",
            [len(invoices)],
        )
        for invoice, (pk,) in zip(invoices, cursor.fetchall(), strict=True):
            invoice.pk = invoice.id = pk
        with cursor.copy(
            "COPY billing_invoiceline (tenant_id, invoice_id, position, subscription_id, "
            f"option_id, {', '.join(LINE_COLUMNS)}) FROM STDIN"
        ) as copy:
            for invoice, lines in zip(invoices, lines_of, strict=True):
                for position, line in enumerate(lines):
                    copy.write_row(
                        [
                            tenant.pk,
                            invoice.pk,
                            position,
                            invoice.subscription_id,
                            line.get("option_id"),
                            *(line[c] for c in LINE_COLUMNS),
                        ]
                    )
        with cursor.copy(
            "COPY billing_invoice (id, tenant_id, customer_id, status, number, currency, "
            "issue_date, due_date, seller, buyer, vat_regime, net_amount, tax_amount, "
            "gross_amount, amount_paid, amount_credited, is_test, subscription_id, "
            "period_start, created_at, finalized_at, pdf, pdf_sha256) FROM STDIN"
        ) as copy:
            for i in invoices:
                copy.write_row(
                    [
                        i.pk,
                        tenant.pk,
                        i.customer_id,
                        i.status,
                        i.number,
                        i.currency,
                        i.issue_date,
                        i.due_date,
                        json.dumps(i.seller, cls=DjangoJSONEncoder),
                        json.dumps(i.buyer, cls=DjangoJSONEncoder),
                        i.vat_regime,
                        i.net_amount,
                        i.tax_amount,
                        i.gross_amount,
                        0,
                        0,
                        i.is_test,
                        i.subscription_id,
                        i.period_start,
                        now,
                        now,
                        "",
                        "",
                    ]
                )
        with cursor.copy(
            "COPY billing_invoiceevent (tenant_id, invoice_id, kind, from_status, to_status, "
            "data, created_at) FROM STDIN"
        ) as copy:
            for i in invoices:
                copy.write_row(
                    [
                        tenant.pk,
                        i.pk,
                        "finalized",
                        "draft",
                        "open",
                        json.dumps({"number": i.number, "run": str(today)}),
                        now,
                    ]
                )
        invoice_type = ContentType.objects.get_for_model(Invoice).pk
        with cursor.copy(
            "COPY core_auditentry (tenant_id, actor_label, action, object_type_id, object_id, "
            "object_repr, after, created_at) FROM STDIN"
        ) as copy:
            for i in invoices:
                copy.write_row(
                    [
                        tenant.pk,
                        RUN_LABEL,
                        "invoice.finalized",
                        invoice_type,
                        str(i.pk),
                        i.number,
                        json.dumps({"number": i.number, "gross": str(i.gross_amount)}),
                        now,
                    ]
                )
    # COPY bypasses Django's cursor, where every other write is seen (core.page_versions).
    pages_changed(("billing_invoiceline", "billing_invoice", "billing_invoiceevent"))


def insert_by_orm(
    tenant: Tenant, today: date, invoices: list[Invoice], lines_of: list[list[dict]]
) -> None:
    """Other databases (SQLite on one machine): drafts, their lines, then finalize them with
    one UPDATE per row — the frozen-invoice triggers allow lines only on drafts."""
    finalized = [(i.number, i.status, i.issue_date, i.due_date, i.finalized_at) for i in invoices]
    for invoice in invoices:
        invoice.number, invoice.status = "", InvoiceStatus.DRAFT
        invoice.issue_date = invoice.due_date = invoice.finalized_at = None
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(tenant=tenant, invoice=invoice, position=position, **line)
            for invoice, lines in zip(invoices, lines_of, strict=True)
            for position, line in enumerate(lines)
        ]
    )
    for invoice, values in zip(invoices, finalized, strict=True):
        (
            invoice.number,
            invoice.status,
            invoice.issue_date,
            invoice.due_date,
            invoice.finalized_at,
        ) = values
    bulk_set(Invoice, invoices, ["number", "status", "issue_date", "due_date", "finalized_at"])
    InvoiceEvent.objects.bulk_create(
        [
            InvoiceEvent(
                tenant=tenant,
                invoice=i,
                kind="finalized",
                from_status="draft",
                to_status="open",
                data={"number": i.number, "run": str(today)},
            )
            for i in invoices
        ]
    )
    invoice_type = ContentType.objects.get_for_model(Invoice)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                tenant=tenant,
                actor_label=RUN_LABEL,
                action="invoice.finalized",
                object_type=invoice_type,
                object_id=str(i.pk),
                object_repr=i.number,
                after={"number": i.number, "gross": str(i.gross_amount)},
            )
            for i in invoices
        ]
    )
