"""When a department's prompts fall due: pure computation, no database and no wall clock.

Occurrences are computed in the department's own IANA timezone, so "10:00 on Tuesdays" stays
10:00 local across daylight-saving changes. A local time that does not exist (spring forward)
is sent once at the first valid instant after the gap; an ambiguous one (fall back) is sent
once, at its first (fold=0) instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from dateutil.tz import datetime_exists, resolve_imaginary

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Cadence weeks count from this Monday, so "every 2 weeks" is the same weeks on every replica.
CADENCE_EPOCH = date(2024, 1, 1)


class Schedulable(Protocol):
    """The Department fields a schedule reads (a Department satisfies it)."""

    timezone: str
    prompt_time: str
    prompt_days: str
    cadence_weeks: int
    holiday_country: str | None
    holiday_subdivision: str | None
    paused: bool
    paused_until: datetime | None


@dataclass(frozen=True)
class Occurrence:
    """One scheduled instant; ``skip_reason`` says why it is recorded instead of sent."""

    at: datetime  # aware UTC
    local_date: date
    skip_reason: str | None = None

    @property
    def skipped(self) -> bool:
        return self.skip_reason is not None


def plan_between(
    department: Schedulable, start_utc: datetime, end_utc: datetime
) -> list[Occurrence]:
    """Every occurrence with ``start_utc <= at <= end_utc``, skipped ones included, in order."""
    if start_utc.tzinfo is None or end_utc.tzinfo is None:
        raise ValueError("plan_between needs aware datetimes")
    if end_utc < start_utc:
        return []
    zone = ZoneInfo(department.timezone)
    wall = _parse_time(department.prompt_time)
    days = {WEEKDAYS.index(day) for day in _split_days(department.prompt_days)}
    cadence = max(1, int(department.cadence_weeks or 1))
    # A day either side: the local date of an instant can differ from its UTC date.
    first = start_utc.astimezone(zone).date() - timedelta(days=1)
    last = end_utc.astimezone(zone).date() + timedelta(days=1)
    planned: list[Occurrence] = []
    day = first
    while day <= last:
        if day.weekday() in days and _week_index(day) % cadence == 0:
            at = local_instant(day, wall, zone)
            if start_utc <= at <= end_utc:
                planned.append(
                    Occurrence(at=at, local_date=day, skip_reason=_skip_reason(department, day, at))
                )
        day += timedelta(days=1)
    return planned


def occurrences_between(
    department: Schedulable, start_utc: datetime, end_utc: datetime
) -> list[datetime]:
    """Instants (UTC) at which prompts are scheduled, skipped ones included."""
    return [occurrence.at for occurrence in plan_between(department, start_utc, end_utc)]


def next_occurrence(department: Schedulable, after_utc: datetime) -> Occurrence | None:
    """The first occurrence strictly after ``after_utc`` within a year (None if none).

    Looks one cadence period at a time, so a scheduler waking for the next due prompt of
    thousands of departments plans a week of each, not a year.
    """
    span = timedelta(days=7 * max(1, int(department.cadence_weeks or 1)) + 1)
    start, horizon = after_utc, after_utc + timedelta(days=366)
    while start < horizon:
        for occurrence in plan_between(department, start, min(start + span, horizon)):
            if occurrence.at > after_utc:
                return occurrence
        start += span
    return None


def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of ``wall`` on ``day`` in ``zone``, resolving DST gaps and folds."""
    # fold=0: an ambiguous (fall-back) time resolves to its first instant.
    local = datetime.combine(day, wall, tzinfo=zone).replace(fold=0)
    if datetime_exists(local):
        return local.astimezone(UTC)
    # Not resolve_imaginary(local): dateutil moves a missing time forward by the length of
    # the gap (02:30 becomes 03:30 when 02:00 jumps to 03:00), while the rule is the first
    # valid instant after the gap (03:00). dateutil has no public call for a zone's
    # transitions, so find the gap's first missing minute: that one resolves to the
    # instant the clocks jumped.
    gap_start = local
    while not datetime_exists(gap_start - timedelta(minutes=1)):
        gap_start -= timedelta(minutes=1)
    return resolve_imaginary(gap_start).astimezone(UTC)


def _skip_reason(department: Schedulable, day: date, at: datetime) -> str | None:
    if department.paused:
        until = department.paused_until
        if until is None:
            return "department paused"
        if at < until:
            return f"paused until {until.date().isoformat()}"
    if department.holiday_country:
        name = _holidays(department.holiday_country, department.holiday_subdivision, day.year).get(
            day
        )
        if name:
            return f"public holiday: {name}"
    return None


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    import holidays  # loaded on first use: it is large

    calendar = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return {day: str(name) for day, name in calendar.items()}


def _week_index(day: date) -> int:
    monday = day - timedelta(days=day.weekday())
    return (monday - CADENCE_EPOCH).days // 7


def _parse_time(value: str) -> time:
    hours, _, minutes = value.strip().partition(":")
    return time(int(hours), int(minutes or 0))


def _split_days(value: str) -> list[str]:
    return [part[:3] for part in value.lower().replace(" ", "").split(",") if part[:3] in WEEKDAYS]
