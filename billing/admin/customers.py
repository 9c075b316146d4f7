"""What the billing app adds to the customer page, composed in portal.admin."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing.documents.models import PAYABLE, Invoice
from billing.payments.forms import CustomerPaymentForm
from billing.payments.gateways import gateway_for
from billing.payments.services import payment_record
from billing.run.services import billing_run_for_customer
from subscriptions.periods import local_today


class CustomerBillingMixin:
    """What the billing app adds to the customer page (composed in portal.admin over contracts'
    CustomerAdmin): invoicing what is due now (Billing and up) instead of waiting for the hourly
    run, recording a payment, adding a card on the customer's behalf."""

    actions = ["bill_now"]

    def get_urls(self):
        view = self.admin_site.admin_view(self.payment_view)
        return [
            path("<int:object_id>/payment/", view, name="contracts_customer_payment"),
            *super().get_urls(),
        ]

    def payment_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Record money that came in by transfer or cash, spread over the open invoices."""
        customer = self.get_object(request, str(object_id))
        if not self.has_bill_permission(request):
            raise PermissionDenied
        tenant = customer.tenant
        open_invoices = Invoice.objects.filter(
            customer=customer, status__in=PAYABLE, currency=tenant.default_currency
        ).order_by("due_date", "id")
        form = CustomerPaymentForm(
            request.POST or None,
            open_invoices=open_invoices,
            initial={"received_on": local_today(timezone.now(), tenant.timezone)},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                payment = payment_record(
                    customer=customer,
                    amount=data["amount"],
                    currency=tenant.default_currency,
                    method=data["method"],
                    reference=data["reference"],
                    received_on=data["received_on"],
                    invoices=list(data["invoices"]),
                    actor=request.user,
                )
            except ValidationError as exc:
                form.add_error("amount", exc)
            else:
                messages.success(
                    request,
                    _("Payment recorded, receipt %(number)s.") % {"number": payment.receipt.number},
                )
                return redirect("admin:contracts_customer_change", customer.pk)
        return TemplateResponse(
            request,
            "admin/billing/customer_payment.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": customer,
                "customer": customer,
                "form": form,
                "title": _("Record a payment"),
            },
        )

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if not str(object_id).isdigit():  # no such customer: Django's own answer, no links
            return super().change_view(request, object_id, form_url, extra_context)
        if object_id and self.has_bill_permission(request):
            extra_context["payment_url"] = reverse(
                "admin:contracts_customer_payment", args=[object_id]
            )
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
