"""Reporting periods: what people type becomes half-open UTC intervals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stories.errors import InvalidFieldError
from stories.periods import Period, parse_period

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "days"), [("7d", 7), ("30d", 30), ("90d", 90), (" 30D ", 30)])
def test_relative_periods_end_now(raw: str, days: int) -> None:
    period = parse_period(raw, now=NOW)
    assert period.end == NOW
    assert period.start == NOW - timedelta(days=days)
    assert period.label == f"last {days} days"


def test_default_is_thirty_days() -> None:
    assert parse_period(None, now=NOW).length == timedelta(days=30)


def test_quarter_runs_from_the_first_day_of_the_calendar_quarter() -> None:
    period = parse_period("quarter", now=NOW)
    assert period.start == datetime(2026, 10, 1, tzinfo=UTC)
    assert period.end == NOW
    assert period.label == "Q4 2026 to date"
    assert parse_period("quarter", now=datetime(2026, 2, 14, 12, tzinfo=UTC)).start == datetime(
        2026, 1, 1, tzinfo=UTC
    )


def test_quarter_on_its_very_first_instant_is_not_empty() -> None:
    period = parse_period("quarter", now=datetime(2026, 10, 1, tzinfo=UTC))
    assert period.end > period.start


def test_date_range_includes_the_whole_end_day() -> None:
    period = parse_period("2026-10-01..2026-10-31", now=NOW)
    assert period.start == datetime(2026, 10, 1, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 1, tzinfo=UTC)
    assert period.contains(datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC))
    assert not period.contains(period.end)
    single = parse_period("2026-10-05..2026-10-05", now=NOW)
    assert single.length == timedelta(days=1)


def test_previous_period_has_equal_length_and_ends_where_this_starts() -> None:
    period = parse_period("2026-10-01..2026-10-31", now=NOW)
    previous = period.previous()
    assert previous.end == period.start
    assert previous.length == period.length == timedelta(days=31)
    assert previous.start == datetime(2026, 8, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("yesterday", "is not a period"),
        ("14d", "is not a period"),
        ("2026-10-31..2026-10-01", "ends before it starts"),
        ("2026-02-30..2026-03-01", "is not a real date"),
        ("2020-01-01..2026-01-01", "longer than"),
    ],
)
def test_bad_periods_are_explained(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidFieldError) as caught:
        parse_period(raw, now=NOW)
    assert caught.value.field == "period"
    assert fragment in str(caught.value)


def test_period_rejects_naive_and_backwards_bounds() -> None:
    with pytest.raises(ValueError, match="aware"):
        Period(start=datetime(2026, 1, 1), end=datetime(2026, 1, 2))
    with pytest.raises(ValueError, match="after"):
        Period(start=NOW, end=NOW)
