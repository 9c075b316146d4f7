"""The customer page, with what needs the billing app."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing.gateways import gateway_for
from billing.run import billing_run_for_customer
from contracts.models import Customer
from subscriptions.admin import CustomerWithAccountAdmin

admin.site.unregister(Customer)


@admin.register(Customer)
class CustomerWithBillingAdmin(CustomerWithAccountAdmin):
    """The customer page, plus what needs the billing app: invoicing what is due now (Billing
    and up) instead of waiting for the hourly run."""

    actions = [*CustomerWithAccountAdmin.actions, "bill_now"]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if object_id and gateway_for(request.tenant).takes_cards:
            if self._may(request, "payment_methods.manage"):
                extra_context["add_card_url"] = reverse(
                    "admin:billing_paymentmethod_add_for", args=[object_id]
                )
            extra_context["cards_url"] = (
                reverse("admin:billing_paymentmethod_changelist")
                + f"?customer__id__exact={object_id}"
            )
        return super().change_view(request, object_id, form_url, extra_context)

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
