"""Back-office pages that several apps fill, registered once here, on the top floor: the
customer (contracts' CustomerAdmin is the base; each higher app mixes in what it adds), the
invoice and the subscription (with the quote they came from, and the subscription's invoices),
the order (with its invoices and payment state). A lower app cannot import a
higher one, so only here can they all meet."""

from __future__ import annotations

from django.contrib import admin

from billing.admin.customers import CustomerBillingMixin
from billing.admin.invoices import InvoiceAdmin
from billing.admin.orders import OrderBillingMixin, SubscriptionInvoicesMixin
from billing.models import Invoice
from contracts.admin import CustomerAdmin
from contracts.models import Customer
from quotes.admin.origin import InvoiceQuoteMixin, SubscriptionQuoteMixin
from subscriptions.admin import CustomerAccountMixin, OrderAdmin, SubscriptionAdmin
from subscriptions.admin_packages import CustomerDepartmentAccessMixin
from subscriptions.models import Order, Subscription


@admin.register(Customer)
class CustomerPageAdmin(
    CustomerBillingMixin, CustomerDepartmentAccessMixin, CustomerAccountMixin, CustomerAdmin
):
    actions = [*CustomerAdmin.actions, *CustomerAccountMixin.actions, *CustomerBillingMixin.actions]


@admin.register(Invoice)
class InvoicePageAdmin(InvoiceQuoteMixin, InvoiceAdmin):
    pass


@admin.register(Subscription)
class SubscriptionPageAdmin(SubscriptionQuoteMixin, SubscriptionInvoicesMixin, SubscriptionAdmin):
    pass


@admin.register(Order)
class OrderPageAdmin(OrderBillingMixin, OrderAdmin):
    actions = [*OrderAdmin.actions, *OrderBillingMixin.actions]
