"""Reporting periods for summaries: `7d`, `30d`, `90d`, `quarter` or `YYYY-MM-DD..YYYY-MM-DD`.

A period is the half-open interval ``[start, end)`` in UTC, so consecutive periods never
share an instant and every row lands in exactly one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from stories.errors import InvalidFieldError

DEFAULT_PERIOD = "30d"
MAX_DAYS = 3 * 366  # longer ranges are almost always a typo (2025 for 2026 and the like)
_RELATIVE = {"7d": 7, "30d": 30, "90d": 90}
_RANGE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})\s*$")
# A command word meant as a period, valid or not ("15d" is one, and parse_period explains it).
_PERIOD_WORD = re.compile(r"^(?:\d+d|quarter|\d{4}-\d{2}-\d{2}\s*\.\.\s*\d{4}-\d{2}-\d{2})$", re.I)
_HELP = "use 7d, 30d, 90d, quarter or a date range like 2026-10-01..2026-10-31"


@dataclass(frozen=True)
class Period:
    """``[start, end)`` as aware UTC datetimes, with a human label such as "last 30 days"."""

    start: datetime
    end: datetime
    label: str = ""

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Period needs aware datetimes")
        if self.end <= self.start:
            raise ValueError("Period end must be after its start")

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> Period:
        """The period of equal length that ends where this one starts."""
        return Period(start=self.start - self.length, end=self.start, label="previous period")

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def whole_seconds(self) -> Period:
        """This period cut to whole seconds, so a signed chart link can carry it exactly and
        a card's figures and its chart agree."""
        start = self.start.replace(microsecond=0)
        end = max(self.end.replace(microsecond=0), start + timedelta(seconds=1))
        return Period(start=start, end=end, label=self.label)


def looks_like_period(word: str) -> bool:
    """Whether a word in a chat command is a period rather than, say, a department name."""
    return _PERIOD_WORD.match(word) is not None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _parse_day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidFieldError(field="period", reason=f"{raw!r} is not a real date") from None


def parse_period(raw: str | None, *, now: datetime) -> Period:
    """Parse what a person typed; ``now`` is injected (a Clock's ``now()``).

    - ``7d``/``30d``/``90d``: the N x 24 hours up to ``now``.
    - ``quarter``: the current calendar quarter from its first day (00:00 UTC) up to ``now``.
    - ``2026-10-01..2026-10-31``: whole UTC days, the end date included.
    """
    if now.tzinfo is None:
        raise ValueError("parse_period needs an aware now")
    now = now.astimezone(UTC)
    text = (raw or DEFAULT_PERIOD).strip().casefold()
    if text in _RELATIVE:
        days = _RELATIVE[text]
        return Period(start=now - timedelta(days=days), end=now, label=f"last {days} days")
    if text == "quarter":
        first_month = 3 * ((now.month - 1) // 3) + 1
        start = datetime(now.year, first_month, 1, tzinfo=UTC)
        quarter = (first_month - 1) // 3 + 1
        end = now if now > start else start + timedelta(seconds=1)
        return Period(start=start, end=end, label=f"Q{quarter} {now.year} to date")
    match = _RANGE.match(text)
    if match is None:
        raise InvalidFieldError(field="period", reason=f"{raw!r} is not a period; {_HELP}")
    first, last = _parse_day(match.group(1)), _parse_day(match.group(2))
    if last < first:
        raise InvalidFieldError(
            field="period", reason=f"{raw!r} ends before it starts; put the earlier date first"
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidFieldError(
            field="period", reason=f"{raw!r} is longer than {MAX_DAYS} days; choose a shorter range"
        )
    return Period(
        start=_day_start(first),
        end=_day_start(last + timedelta(days=1)),
        label=f"{first.isoformat()} to {last.isoformat()}",
    )
