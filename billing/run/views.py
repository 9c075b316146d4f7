"""The customer's billing schedule: the portal page of billing.run.forecast."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from billing.run.forecast import SCHEDULE_MONTHS, billing_schedule
from contracts.access import customer_required
from subscriptions.periods import local_today


@customer_required
def schedule_page(request: HttpRequest) -> HttpResponse:
    # The business's calendar day, as the run takes it (billing.run.tasks).
    today = local_today(timezone.now(), request.tenant.timezone)
    schedule = billing_schedule(tenant=request.tenant, customer=request.customer, today=today)
    return render(
        request,
        "billing/schedule.html",
        {
            "section_key": "schedule",
            "schedule": schedule,
            "months": SCHEDULE_MONTHS,
            "vat_charged": request.customer.charges_vat,
        },
    )
