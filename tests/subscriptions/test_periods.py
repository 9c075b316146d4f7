"""Property tests for the calendar arithmetic: month ends, leap years, notice, time zones."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from subscriptions.periods import (
    add_months,
    earliest_change,
    earliest_end,
    is_period_end,
    local_today,
    period,
    period_containing,
    prorate,
)

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
intervals = st.sampled_from([1, 2, 3, 6, 12, 24])


@pytest.mark.parametrize(
    "start,months,expected",
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 1, 31), 2, date(2026, 3, 31)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_periods_do_not_drift_after_a_short_month():
    anchor = date(2026, 1, 31)
    starts = [period(anchor, 1, k).start for k in range(4)]
    assert starts == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]


@given(days, intervals, st.integers(min_value=0, max_value=200))
def test_periods_are_contiguous_and_about_interval_months_long(anchor, interval, k):
    this, following = period(anchor, interval, k), period(anchor, interval, k + 1)
    assert this.end == following.start
    assert 28 * interval - 3 <= this.days <= 31 * interval + 3


@given(days, intervals, st.integers(min_value=0, max_value=3000))
def test_every_day_falls_in_exactly_the_period_that_contains_it(anchor, interval, offset):
    day = anchor + timedelta(days=offset)
    found = period_containing(anchor, interval, day)
    assert found.start <= day < found.end
    assert found == period(anchor, interval, found.index)


@given(days, intervals, st.integers(0, 36), st.integers(0, 120), st.integers(0, 2000))
def test_the_earliest_end_is_allowed_and_nothing_earlier_is(
    anchor, interval, minimum_months, notice, offset
):
    today = anchor + timedelta(days=offset)
    last_day = earliest_end(
        anchor=anchor,
        interval_months=interval,
        minimum_term_months=minimum_months,
        notice_days=notice,
        today=today,
    )
    boundary = last_day + timedelta(days=1)
    assert is_period_end(anchor, interval, last_day)  # ends with a billing period
    assert boundary >= add_months(anchor, minimum_months)  # minimum term served
    assert (boundary - today).days >= notice  # notice given in time
    assert last_day >= today
    # Minimal: the period end before it breaks one of the rules.
    previous = period_containing(anchor, interval, last_day).start
    if previous > anchor:
        assert (
            previous < add_months(anchor, minimum_months)
            or (previous - today).days < notice
            or previous <= today
        )


@given(days, intervals, st.integers(0, 120), st.integers(0, 2000))
def test_a_tariff_change_takes_effect_at_a_period_start_after_the_notice(
    anchor, interval, notice, offset
):
    today = anchor + timedelta(days=offset)
    effective = earliest_change(
        anchor=anchor, interval_months=interval, notice_days=notice, today=today
    )
    assert period_containing(anchor, interval, effective).start == effective
    assert (effective - today).days >= max(notice, 1)


@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(
        ["Europe/Berlin", "Europe/Istanbul", "America/New_York", "UTC", "Pacific/Auckland"]
    ),
)
def test_today_is_the_tenants_calendar_day(instant, zone):
    today = local_today(instant, zone)
    assert abs((today - instant.date()).days) <= 1


def test_new_years_eve_in_utc_is_new_year_in_berlin():
    instant = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert local_today(instant, "Europe/Berlin") == date(2027, 1, 1)
    assert local_today(instant, "America/New_York") == date(2026, 12, 31)


@given(
    st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2),
    days,
    intervals,
    st.integers(0, 400),
)
def test_proration_is_a_share_of_the_period_amount(amount, anchor, interval, offset):
    current = period(anchor, interval, 0)
    assume(offset <= current.days)
    share = prorate(amount, current, current.start + timedelta(days=offset))
    assert Decimal(0) <= share <= amount
    assert prorate(amount, current, current.start) == amount
    assert prorate(amount, current, current.end) == 0


@given(days, intervals, st.integers(0, 36), st.integers(0, 120), st.integers(1, 400))
def test_a_subscription_that_has_not_started_ends_after_its_first_period_at_the_earliest(
    anchor, interval, minimum_months, notice, days_before
):
    today = anchor - timedelta(days=days_before)
    last_day = earliest_end(
        anchor=anchor,
        interval_months=interval,
        minimum_term_months=minimum_months,
        notice_days=notice,
        today=today,
    )
    assert last_day >= period(anchor, interval, 0).last_day
    assert is_period_end(anchor, interval, last_day)
