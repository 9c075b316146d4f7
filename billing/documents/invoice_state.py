"""What every invoice write shares: the row lock, and moving the status along
INVOICE_TRANSITIONS with an event row and an audit entry."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from billing.documents.models import INVOICE_TRANSITIONS, Invoice, InvoiceEvent, InvoiceStatus
from core.audit import audit_record
from core.models import User
from core.roles import SystemActor, acting_user


def move_invoice(
    invoice: Invoice,
    to_status: str,
    *,
    kind: str,
    actor: User | SystemActor,
    data: dict | None = None,
) -> None:
    from_status = invoice.status
    if to_status not in INVOICE_TRANSITIONS[from_status]:
        raise ValidationError(
            _("An invoice that is %(status)s cannot become %(target)s."),
            params={
                "status": invoice.get_status_display(),
                "target": InvoiceStatus(to_status).label,
            },
            code="transition",
        )
    invoice.status = to_status
    InvoiceEvent.objects.create(
        tenant=invoice.tenant,
        invoice=invoice,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
        actor=acting_user(actor),
    )
    audit_record(
        tenant=invoice.tenant,
        actor=actor,
        action=f"invoice.{kind}",
        obj=invoice,
        before={"status": from_status},
        after={"status": to_status, **(data or {})},
    )


def locked_invoice(invoice: Invoice) -> Invoice:
    return (
        Invoice.objects.select_for_update().select_related("tenant", "customer").get(pk=invoice.pk)
    )
