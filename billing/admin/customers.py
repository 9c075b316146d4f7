"""The customer page, with what needs the billing app."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing.run import billing_run_for_customer
from contracts.models import Customer
from subscriptions.admin import CustomerWithAccountAdmin

admin.site.unregister(Customer)


@admin.register(Customer)
class CustomerWithBillingAdmin(CustomerWithAccountAdmin):
    """The customer page, plus what needs the billing app: invoicing what is due now (Billing
    and up) instead of waiting for the hourly run."""

    actions = [*CustomerWithAccountAdmin.actions, "bill_now"]

    def has_bill_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "invoices.manage")

    @admin.action(
        description=_("Invoice what is due now for the selected customers"),
        permissions=["bill"],
    )
    def bill_now(self, request: HttpRequest, queryset) -> None:
        for customer in queryset.select_related("tenant"):
            issued = billing_run_for_customer(customer=customer, actor=request.user)
            messages.success(
                request,
                ngettext(
                    "%(customer)s: %(count)d invoice issued.",
                    "%(customer)s: %(count)d invoices issued.",
                    issued,
                )
                % {"customer": customer, "count": issued},
            )
