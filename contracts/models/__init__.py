from contracts.models.contact import Contact
from contracts.models.customer import (
    EU_BUYER_REGIMES,
    LEGACY_NOT_TAXABLE,
    NON_EU_BUYER_REGIMES,
    SMALL_BUSINESS,
    Customer,
    DocumentDelivery,
    EInvoiceFormat,
    VatExemptionReason,
    VatRegime,
    new_link_secret,
    vat_regime_label,
)
from contracts.models.legal import LegalAcceptance, LegalDocument, LegalDocumentKind
from contracts.models.portal_link import PortalLinkUse

__all__ = [
    "EU_BUYER_REGIMES",
    "LEGACY_NOT_TAXABLE",
    "NON_EU_BUYER_REGIMES",
    "SMALL_BUSINESS",
    "Contact",
    "Customer",
    "DocumentDelivery",
    "EInvoiceFormat",
    "LegalAcceptance",
    "LegalDocument",
    "LegalDocumentKind",
    "PortalLinkUse",
    "VatExemptionReason",
    "VatRegime",
    "new_link_secret",
    "vat_regime_label",
]
