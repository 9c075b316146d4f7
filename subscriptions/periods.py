"""Calendar arithmetic for subscriptions: billing periods, notice dates, proration.

Pure functions on dates, no database. Periods are anchored on the subscription's start date and
computed from it each time (never by adding to the previous period), so a subscription started
on 31 January renews on 28/29 February, then on 31 March again — no drift to the 28th.
Dates are calendar dates in the tenant's time zone; `local_today` turns an instant into one.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the end of shorter months (31 Jan + 1 → 28 Feb)."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def local_today(instant: datetime, timezone_name: str) -> date:
    """The calendar date at the tenant's offices at that instant."""
    return instant.astimezone(ZoneInfo(timezone_name)).date()


@dataclass(frozen=True)
class Period:
    index: int  # 0 for the first period
    start: date  # first day
    end: date  # first day of the next period (exclusive)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def period(anchor: date, interval_months: int, index: int) -> Period:
    if interval_months < 1 or index < 0:
        raise ValueError("interval must be at least one month and the index not negative")
    return Period(
        index,
        add_months(anchor, index * interval_months),
        add_months(anchor, (index + 1) * interval_months),
    )


def period_containing(anchor: date, interval_months: int, day: date) -> Period:
    """The period `day` falls in (the first one for days before the anchor)."""
    if day < anchor:
        return period(anchor, interval_months, 0)
    months = (day.year - anchor.year) * 12 + (day.month - anchor.month)
    index = max(months // interval_months - 1, 0)
    while True:  # at most two steps: clamping can shift a boundary by a few days
        candidate = period(anchor, interval_months, index)
        if candidate.start <= day < candidate.end:
            return candidate
        index += 1


def _first_boundary_on_or_after(anchor: date, interval_months: int, day: date) -> date:
    candidate = period_containing(anchor, interval_months, day)
    return candidate.start if candidate.start >= day else candidate.end


def earliest_end(
    *,
    anchor: date,
    interval_months: int,
    minimum_term_months: int,
    notice_days: int,
    today: date,
) -> date:
    """The last day of service of the earliest allowed termination, given today.

    A subscription ends at the end of a billing period, not before its minimum term is over,
    and only if notice is given at least `notice_days` before that end.
    """
    minimum_end = add_months(anchor, minimum_term_months)
    notice_end = today + timedelta(days=notice_days)
    # Ends at a boundary B (service stops the day before B); B must leave the notice period
    # (B - today >= notice), come after the minimum term, and lie in the future.
    # A subscription that has not started yet still runs at least its first period.
    earliest = max(minimum_end, notice_end, today + timedelta(days=1), anchor + timedelta(days=1))
    boundary = _first_boundary_on_or_after(anchor, interval_months, earliest)
    return boundary - timedelta(days=1)


def earliest_change(*, anchor: date, interval_months: int, notice_days: int, today: date) -> date:
    """The first day a new tariff can take effect at a period boundary with notice given."""
    earliest = max(today + timedelta(days=notice_days), today + timedelta(days=1))
    return _first_boundary_on_or_after(anchor, interval_months, earliest)


def is_period_end(anchor: date, interval_months: int, last_day: date) -> bool:
    boundary = last_day + timedelta(days=1)
    return period_containing(anchor, interval_months, boundary).start == boundary


def prorate(amount: Decimal, current: Period, effective: date) -> Decimal:
    """The share of `amount` (per period) for the days from `effective` to the period's end.
    Unrounded: the caller rounds once, with the currency (core.money.round_money)."""
    if not current.start <= effective <= current.end:
        raise ValueError("the effective date must lie in the current period")
    return amount * Decimal((current.end - effective).days) / Decimal(current.days)
