"""Query helpers every figure shares: period filters and the whole-day / edge-hour split."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from stories.models import DeliveryStatus, PromptDelivery, Story
from stories.periods import Period
from stories.prompt_ledger import PROMPT_KINDS


def within(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def delivered_at() -> Any:
    return func.coalesce(col(PromptDelivery.sent_at), col(PromptDelivery.occurrence_at))


def delivered(workspace_id: int, period: Period) -> list[ColumnElement[bool]]:
    return [
        col(PromptDelivery.workspace_id) == workspace_id,
        # A lead's "prompt now" is a prompt people answer like any other.
        col(PromptDelivery.kind).in_(PROMPT_KINDS),
        col(PromptDelivery.status) == DeliveryStatus.SENT,
        within(delivered_at(), period),
    ]


def story_filter(workspace_id: int, period: Period | None, department_id: int | None) -> list[Any]:
    where: list[Any] = [col(Story.workspace_id) == workspace_id]
    if period is not None:
        where.append(within(col(Story.created_at), period))
    if department_id is not None:
        where.append(col(Story.department_id) == department_id)
    return where


def spanning(period: Period) -> Period:
    """The previous period and this one together: each figure reads both in one query."""
    return Period(start=period.previous().start, end=period.end)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def as_date(value: Any) -> date:
    # PostgreSQL returns dates; SQLite returns the ISO text.
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Split:
    """Where a period's counts and its previous period's come from.

    Whole UTC days are read from the rollup tables (``days``: flag -> [first, last)); the
    partial days at the edges, e.g. the hours before "now" on the last day of "7d", are read
    row by row (``pieces``: (flag, range)). Flag 1 is this period, 0 the previous one.
    """

    days: dict[int, tuple[date, date]]
    pieces: tuple[tuple[int, Period], ...]

    @classmethod
    def rows_only(cls, period: Period) -> Split:
        return cls(days={}, pieces=((0, period.previous()), (1, period)))

    @classmethod
    def of(cls, period: Period) -> Split:
        days: dict[int, tuple[date, date]] = {}
        pieces: list[tuple[int, Period]] = []
        for flag, part in ((0, period.previous()), (1, period)):
            starts_at_midnight = part.start == _midnight(part.start.date())
            first = part.start.date() + timedelta(days=0 if starts_at_midnight else 1)
            last = part.end.date()
            if first >= last:
                pieces.append((flag, part))
                continue
            days[flag] = (first, last)
            if part.start < _midnight(first):
                pieces.append((flag, Period(start=part.start, end=_midnight(first))))
            if _midnight(last) < part.end:
                pieces.append((flag, Period(start=_midnight(last), end=part.end)))
        return cls(days=days, pieces=tuple(pieces))

    @property
    def day_range(self) -> tuple[date, date] | None:
        if not self.days:
            return None
        return min(f for f, _ in self.days.values()), max(last for _, last in self.days.values())

    def flag(self, raw_day: Any) -> int | None:
        day = as_date(raw_day)
        for flag, (first, last) in self.days.items():
            if first <= day < last:
                return flag
        return None  # the day the period starts on, when it starts during that day


def whole_days(
    session: Session, split: Split, table: Any, workspace_id: int, *keys: Any
) -> Iterator[tuple[int, date, tuple[Any, ...]]]:
    """(flag, day, (*keys, n)) for a rollup table's rows on the split's whole days."""
    if split.day_range is None:
        return
    first, last = split.day_range
    columns = [col(table.day), *(col(k) for k in keys), col(table.n)]
    rows = session.connection().execute(
        sa_select(*columns).where(
            col(table.workspace_id) == workspace_id,
            col(table.day) >= first,
            col(table.day) < last,
            col(table.n) != 0,
        )
    )
    for raw_day, *values in rows:
        flag = split.flag(raw_day)
        if flag is not None:
            yield flag, as_date(raw_day), tuple(values)


def count_by(keys: Sequence[Any], where: Sequence[Any]) -> Select[Any]:
    """Rows counted by ``keys``. The keys are labelled in a subquery, so GROUP BY names a
    column rather than repeating an expression with parameters (PostgreSQL would refuse it)."""
    rows = select(*(key.label(f"key{n}") for n, key in enumerate(keys))).where(*where).subquery()
    grouping = [rows.c[f"key{n}"] for n in range(len(keys))]
    return sa_select(*grouping, func.count()).group_by(*grouping)


def grouped(session: Session, key: Any, where: Sequence[Any]) -> dict[Any, int]:
    rows = session.exec(select(key, func.count()).where(*where).group_by(key)).all()
    return {k: int(n) for k, n in rows}
