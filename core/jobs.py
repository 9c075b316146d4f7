"""Periodic jobs that run once per business, each on its own calendar day."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.utils import timezone

from core.models import Tenant


def each_business_on_its_day(job: Callable[..., int]) -> int:
    """Run `job(tenant=…, today=…)` for every active business on its own calendar day."""
    now = timezone.now()
    return sum(
        job(tenant=tenant, today=timezone.localdate(now, ZoneInfo(tenant.timezone)))
        for tenant in Tenant.objects.filter(is_active=True)
    )
