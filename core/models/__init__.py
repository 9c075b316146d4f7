from core.models.audit import AuditEntry
from core.models.membership import StaffMembership
from core.models.party import LegalIdentity
from core.models.tenant import Domain, OperationCategory, Tenant
from core.models.user import User

__all__ = [
    "AuditEntry",
    "Domain",
    "LegalIdentity",
    "OperationCategory",
    "StaffMembership",
    "Tenant",
    "User",
]
