"""The customer page of the back office, registered once here, on the top floor: contracts'
CustomerAdmin is the base (fields, contacts, legal acceptances), each higher app mixes in what
it adds. A lower app cannot import a higher one, so only here can they all meet."""

from __future__ import annotations

from django.contrib import admin

from billing.admin.customers import CustomerBillingMixin
from contracts.admin import CustomerAdmin
from contracts.models import Customer
from subscriptions.admin import CustomerAccountMixin


@admin.register(Customer)
class CustomerPageAdmin(CustomerBillingMixin, CustomerAccountMixin, CustomerAdmin):
    actions = [*CustomerAdmin.actions, *CustomerAccountMixin.actions, *CustomerBillingMixin.actions]
