from core.models.audit import AuditEntry
from core.models.membership import StaffMembership
from core.models.party import LegalIdentity
from core.models.tenant import Domain, EInvoiceChannel, Tenant
from core.models.user import User

__all__ = [
    "AuditEntry",
    "Domain",
    "EInvoiceChannel",
    "LegalIdentity",
    "StaffMembership",
    "Tenant",
    "User",
]
