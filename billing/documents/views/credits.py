"""The credits page: the packages (subscriptions app) and the money credit from credit notes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from billing.documents import selectors
from billing.documents.credit_notes import customer_credit_balance
from billing.documents.views.invoices import credit_notes_paged
from core.licence import LicenceModule, licence_enabled
from core.roles import may
from subscriptions import selectors as subscription_selectors


def credit_overview(request: HttpRequest) -> HttpResponse:
    """Credits: the packages (subscriptions app) and the money credit from credit notes. It
    lives here because billing builds on subscriptions, never the other way round. Without the
    paid-support licence module the page keeps the money credit alone: credit notes are
    invoicing's, not the module's. The page's body: billing.payments.package_views routes the
    page, behind customer_required and the page cache."""
    customer, tenant = request.customer, request.tenant
    context = {
        "section_key": "credits",
        "support": licence_enabled(tenant, LicenceModule.VIP_SUPPORT),
        **credit_notes_paged(request),
        "credit_movements": selectors.credit_movements(tenant=tenant, customer=customer),
        "credit_balance": customer_credit_balance(customer, tenant.default_currency),
        "currency": tenant.default_currency,
    }
    if context["support"]:
        context |= {
            "account": subscription_selectors.credit_account_view(customer=customer),
            "today": timezone.localdate(),
            "packages": subscription_selectors.package_list(tenant=tenant),
            "department_access": subscription_selectors.department_access_list(
                tenant=tenant, customer=customer
            ),
            "entries": subscription_selectors.credit_ledger(tenant=tenant, customer=customer),
            "may_buy": may(request.user, "package.buy", tenant=tenant, customer_id=customer.pk),
        }
    # A TemplateResponse: payments adds the automatic top-up it offers (package_views).
    return TemplateResponse(request, "subscriptions/credits.html", context)
