from core.models.audit import AuditEntry
from core.models.membership import StaffMembership
from core.models.party import LegalIdentity
from core.models.tenant import Domain, EInvoiceChannel, OperationCategory, Tenant
from core.models.user import User

__all__ = [
    "AuditEntry",
    "Domain",
    "EInvoiceChannel",
    "LegalIdentity",
    "OperationCategory",
    "StaffMembership",
    "Tenant",
    "User",
]
