from contracts.models.contact import Contact
from contracts.models.customer import (
    Customer,
    DocumentDelivery,
    EInvoiceFormat,
    VatRegime,
    new_link_secret,
)
from contracts.models.legal import LegalAcceptance, LegalDocument, LegalDocumentKind
from contracts.models.portal_link import PortalLinkUse

__all__ = [
    "Contact",
    "Customer",
    "DocumentDelivery",
    "EInvoiceFormat",
    "LegalAcceptance",
    "LegalDocument",
    "LegalDocumentKind",
    "PortalLinkUse",
    "VatRegime",
    "new_link_secret",
]
