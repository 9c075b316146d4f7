"""The portal's sections, in menu order. A section whose feature has not landed yet is served by
`views.section_pending`, which says so politely (never a 404). A section of a licence module
is listed only while the business holds the module (its pages are 404s otherwise)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.licence import LicenceModule, licence_enabled
from core.models import Tenant


@dataclass(frozen=True)
class Section:
    key: str
    path: str
    label: Promise
    icon: str  # a glyph from static/css/portal.css's small icon set
    intro: Promise
    licence_module: LicenceModule | None = None


SECTIONS: tuple[Section, ...] = (
    Section("dashboard", "/", _("Dashboard"), "home", _("An overview of your account.")),
    Section(
        "subscriptions",
        "/subscriptions/",
        _("Subscriptions"),
        "repeat",
        _("The modules and tariffs you subscribe to, with renewal dates."),
    ),
    Section(
        "schedule",
        "/subscriptions/schedule/",
        _("Billing schedule"),
        "calendar",
        _("Every charge of the next 12 months, with discounts, credit and when you can leave."),
    ),
    Section(
        "order",
        "/order/",
        _("Order a module"),
        "cart",
        _("What you can order, with prices for your account; ordered in a few steps."),
        LicenceModule.ORDERING,
    ),
    Section(
        "invoices",
        "/invoices/",
        _("Invoices"),
        "file",
        _("Your invoices and credit notes, to view, download and pay."),
    ),
    Section(
        "payments",
        "/payments/",
        _("Payments"),
        "check",
        _("Every payment you made and the invoices it settled."),
    ),
    Section(
        "quotes",
        "/quotes/",
        _("Quotes"),
        "edit",
        _("Quotes waiting for your approval, and those you approved."),
        LicenceModule.QUOTES,
    ),
    Section(
        "credits",
        "/credits/",
        _("Credits"),
        "star",
        _("Your credit balance, credit packages and their use."),
        # Not the paid-support module's alone: the money credit from credit notes is there.
    ),
    Section(
        "payment_methods",
        "/payment-methods/",
        _("Payment methods"),
        "card",
        _("The cards and accounts your invoices are paid with."),
    ),
    Section(
        "orders",
        "/orders/",
        _("Orders"),
        "box",
        _("Your orders and how far their delivery has come."),
    ),
    Section(
        "contract",
        "/contract/",
        _("Contract"),
        "user",
        _("Your contract data, contacts and billing details."),
    ),
)
SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}


def sections_for(tenant: Tenant | None) -> list[Section]:
    """The sections this business's customers see: those of modules it lacks left out."""
    return [
        s for s in SECTIONS if s.licence_module is None or licence_enabled(tenant, s.licence_module)
    ]


def licence_flags(tenant: Tenant | None) -> dict[str, bool]:
    """For templates: `licence.quotes`, `licence.einvoicing`… say whether a module is on."""
    return {module.value: licence_enabled(tenant, module) for module in LicenceModule}
