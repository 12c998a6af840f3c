"""Occurrence computation: local time across DST, cadence, holidays and pause windows."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from stories.models import Department
from stories.schedule import next_occurrence, occurrences_between, plan_between

START = datetime(2026, 1, 1, tzinfo=UTC)


def dept(**fields: Any) -> Department:
    values: dict[str, Any] = {
        "workspace_id": 1,
        "name": "Finance",
        "name_key": "finance",
        "timezone": "Europe/London",
        "prompt_time": "10:00",
        "prompt_days": "mon,tue,wed,thu,fri,sat,sun",
        "cadence_weeks": 1,
        "created_at": START,
    }
    values.update(fields)
    return Department(**values)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def one_per_local_day(occurrences: list[datetime], zone: str) -> Counter[date]:
    from zoneinfo import ZoneInfo

    return Counter(at.astimezone(ZoneInfo(zone)).date() for at in occurrences)


@pytest.mark.parametrize(
    ("zone", "first_day", "wall", "expected_on_change_day"),
    [
        # London springs forward at 01:00 GMT on 29 March 2026: 01:30 does not exist,
        # so it is sent once at the first valid instant, 02:00 BST (01:00 UTC).
        ("Europe/London", date(2026, 3, 27), "01:30", utc(2026, 3, 29, 1, 0)),
        # New York springs forward at 02:00 EST on 8 March 2026: 02:30 becomes 03:00 EDT.
        ("America/New_York", date(2026, 3, 6), "02:30", utc(2026, 3, 8, 7, 0)),
        # London falls back at 02:00 BST on 25 October 2026: 01:30 happens twice, sent once
        # at the first (BST) instant.
        ("Europe/London", date(2026, 10, 23), "01:30", utc(2026, 10, 25, 0, 30)),
        # New York falls back at 02:00 EDT on 1 November 2026: 01:30 EDT is 05:30 UTC.
        ("America/New_York", date(2026, 10, 30), "01:30", utc(2026, 11, 1, 5, 30)),
    ],
)
def test_dst_change_days_send_exactly_once(
    zone: str, first_day: date, wall: str, expected_on_change_day: datetime
) -> None:
    department = dept(timezone=zone, prompt_time=wall)
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)
    found = occurrences_between(department, start, start + timedelta(days=5))
    per_day = one_per_local_day(found, zone)
    assert len(found) == 5
    assert set(per_day.values()) == {1}, per_day  # no day skipped, none doubled
    assert expected_on_change_day in found
    assert found == sorted(found)


@pytest.mark.parametrize(
    ("zone", "before", "after", "before_utc_hour", "after_utc_hour"),
    [
        ("Europe/London", date(2026, 3, 27), date(2026, 3, 30), 10, 9),
        ("Europe/London", date(2026, 10, 23), date(2026, 10, 26), 9, 10),
        ("America/New_York", date(2026, 3, 6), date(2026, 3, 9), 15, 14),
        ("America/New_York", date(2026, 10, 30), date(2026, 11, 2), 14, 15),
    ],
)
def test_ordinary_time_stays_local_across_the_change(
    zone: str, before: date, after: date, before_utc_hour: int, after_utc_hour: int
) -> None:
    department = dept(timezone=zone)
    start = datetime.combine(before, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(after, datetime.max.time(), tzinfo=UTC)
    found = occurrences_between(department, start, end)
    assert len(found) == 4
    assert found[0].hour == before_utc_hour
    assert found[-1].hour == after_utc_hour
    assert set(one_per_local_day(found, zone).values()) == {1}


def test_weekdays_only() -> None:
    department = dept(prompt_days="tue,thu")
    found = occurrences_between(department, utc(2026, 11, 2), utc(2026, 11, 16))
    assert [at.date() for at in found] == [
        date(2026, 11, 3),
        date(2026, 11, 5),
        date(2026, 11, 10),
        date(2026, 11, 12),
    ]


def test_fortnightly_cadence_is_every_other_week_and_deterministic() -> None:
    department = dept(prompt_days="tue", cadence_weeks=2)
    found = occurrences_between(department, utc(2026, 11, 1), utc(2026, 12, 27))
    assert len(found) == 4
    assert {b - a for a, b in itertools.pairwise(found)} == {timedelta(days=14)}
    # Another department (or replica) with the same settings picks the same weeks.
    twin = dept(name="Legal", prompt_days="tue", cadence_weeks=2, created_at=utc(2026, 11, 20))
    assert occurrences_between(twin, utc(2026, 11, 1), utc(2026, 12, 27)) == found
    # Both bounds are inclusive.
    assert occurrences_between(department, found[1], found[1]) == [found[1]]


def test_public_holiday_is_a_recorded_skip_not_a_silent_gap() -> None:
    department = dept(prompt_days="fri", holiday_country="GB")
    plan = plan_between(department, utc(2026, 12, 18), utc(2027, 1, 2))
    assert [o.local_date for o in plan] == [
        date(2026, 12, 18),
        date(2026, 12, 25),
        date(2027, 1, 1),
    ]
    reasons = {o.local_date: o.skip_reason for o in plan}
    assert reasons[date(2026, 12, 18)] is None
    assert "Christmas" in (reasons[date(2026, 12, 25)] or "")
    assert "New Year" in (reasons[date(2027, 1, 1)] or "")


def test_holiday_subdivision_matters() -> None:
    # St Andrew's Day (30 November 2026, a Monday) is a bank holiday in Scotland only.
    scotland = dept(prompt_days="mon", holiday_country="GB", holiday_subdivision="SCT")
    england = dept(prompt_days="mon", holiday_country="GB", holiday_subdivision="ENG")
    window = (utc(2026, 11, 30), utc(2026, 11, 30, 23))
    assert plan_between(scotland, *window)[0].skipped
    assert not plan_between(england, *window)[0].skipped


def test_pause_until_a_date_skips_until_then_and_resumes() -> None:
    department = dept(prompt_days="mon", paused=True, paused_until=utc(2027, 1, 4))
    plan = plan_between(department, utc(2026, 12, 20), utc(2027, 1, 12))
    assert [(o.local_date, o.skip_reason) for o in plan] == [
        (date(2026, 12, 21), "paused until 2027-01-04"),
        (date(2026, 12, 28), "paused until 2027-01-04"),
        (date(2027, 1, 4), None),
        (date(2027, 1, 11), None),
    ]


def test_paused_without_end_skips_everything_with_a_reason() -> None:
    department = dept(prompt_days="mon", paused=True)
    plan = plan_between(department, utc(2026, 11, 1), utc(2026, 11, 30))
    assert plan
    assert {o.skip_reason for o in plan} == {"department paused"}


def test_next_occurrence_and_empty_windows() -> None:
    department = dept(prompt_days="wed", prompt_time="09:30")
    upcoming = next_occurrence(department, utc(2026, 11, 2, 12))
    assert upcoming is not None
    assert upcoming.at == utc(2026, 11, 4, 9, 30)
    assert occurrences_between(department, utc(2026, 11, 5), utc(2026, 11, 4)) == []
    with pytest.raises(ValueError, match="aware"):
        plan_between(department, datetime(2026, 11, 1), utc(2026, 11, 2))
