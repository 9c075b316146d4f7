from core.models.api_key import ApiKey, ApiScope
from core.models.audit import AuditEntry
from core.models.job import Job, JobKind, JobState
from core.models.membership import StaffMembership
from core.models.party import LegalIdentity
from core.models.sent_email import SentEmail
from core.models.tenant import (
    SMALL_BUSINESS_COUNTRY,
    Domain,
    EInvoiceChannel,
    OperationCategory,
    SmallBusinessExemption,
    Tenant,
)
from core.models.user import User

__all__ = [
    "SMALL_BUSINESS_COUNTRY",
    "ApiKey",
    "ApiScope",
    "AuditEntry",
    "Domain",
    "EInvoiceChannel",
    "Job",
    "JobKind",
    "JobState",
    "LegalIdentity",
    "OperationCategory",
    "SentEmail",
    "SmallBusinessExemption",
    "StaffMembership",
    "Tenant",
    "User",
]
