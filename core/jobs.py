"""Periodic jobs that run once per business, each on its own calendar day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from core.models import Tenant


def business_today(tenant: Tenant, now: datetime | None = None) -> date:
    """The calendar date at the business's offices (documents are dated by it, not the server's)."""
    return (now or timezone.now()).astimezone(ZoneInfo(tenant.timezone)).date()


def each_business_on_its_day(job: Callable[..., int]) -> int:
    """Run `job(tenant=…, today=…)` for every active business on its own calendar day."""
    now = timezone.now()
    return sum(
        job(tenant=tenant, today=business_today(tenant, now))
        for tenant in Tenant.objects.filter(is_active=True)
    )
