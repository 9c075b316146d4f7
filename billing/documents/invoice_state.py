"""What every invoice write shares: who may, the row lock, and moving the status along
INVOICE_TRANSITIONS with an event row and an audit entry."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from billing.documents.models import INVOICE_TRANSITIONS, Invoice, InvoiceEvent, InvoiceStatus
from core.audit import audit_record
from core.models import Tenant, User
from core.roles import may


def require_staff(actor: User | None, tenant: Tenant, action: str) -> None:
    # actor None: the system (the billing run).
    if actor is not None and not may(actor, action, tenant=tenant):
        raise PermissionDenied(action)


def move_invoice(
    invoice: Invoice, to_status: str, *, kind: str, actor: User | None, data: dict | None = None
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
        actor=actor if actor is not None and actor.is_authenticated else None,
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
