"""The silo index: the share of resonates and story answers given across departments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from stories.models import Engagement, EngagementKind, PromptAnswer, SiloDay
from stories.periods import Period
from stories.summaries.model import SiloIndex, compare, ratio
from stories.summaries.query import Split, whole_days, within

SILO_RESONATES = "resonates"  # siloday.kind; the other kind is "answer"

SiloCounts = tuple[int, int, int, int]  # resonates, from other departments, answers, from other


def _silo_rows(
    session: Session, workspace_id: int, moment_in: Any, department_id: int | None
) -> SiloCounts:
    """Counted from the rows: resonates and story answers whose time passes ``moment_in``.

    Each row carries its story's department (``story_department_id``, kept by the database),
    so no story is read.
    """
    counts: list[int] = []
    tables: list[tuple[Any, list[Any]]] = [
        (Engagement, [col(Engagement.kind) == EngagementKind.RESONATES]),
        (PromptAnswer, [col(PromptAnswer.story_id).is_not(None)]),
    ]
    for table, where in tables:
        giver, story_department = col(table.department_id), col(table.story_department_id)
        where += [
            col(table.workspace_id) == workspace_id,
            moment_in(table.created_at),
            giver.is_not(None),
            story_department.is_not(None),
        ]
        if department_id is not None:
            where.append(giver == department_id)
        other = func.coalesce(func.sum(case((giver != story_department, 1), else_=0)), 0)
        rows, cross = session.exec(select(func.count(), other).where(*where)).one()
        counts += [int(rows), int(cross)]
    return counts[0], counts[1], counts[2], counts[3]


def silo_counts(
    session: Session, workspace_id: int, period: Period, department_id: int | None
) -> tuple[SiloCounts, SiloCounts]:
    """(this period, previous period): whole days from ``siloday``, the rest from rows.

    A department's counts read its own rows, as the rollup is kept for the whole workspace.
    """
    split = Split.of(period) if department_id is None else Split.rows_only(period)
    counts = {0: [0, 0, 0, 0], 1: [0, 0, 0, 0]}
    for flag, _, (kind, other, n) in whole_days(
        session, split, SiloDay, workspace_id, SiloDay.kind, SiloDay.other_department
    ):
        at = 0 if kind == SILO_RESONATES else 2
        counts[flag][at] += n
        counts[flag][at + 1] += n if other else 0
    for flag, piece in split.pieces:  # one index range each
        raw = _silo_rows(
            session, workspace_id, lambda column, p=piece: within(col(column), p), department_id
        )
        counts[flag] = [a + b for a, b in zip(counts[flag], raw, strict=True)]
    now, before = counts[1], counts[0]
    return (now[0], now[1], now[2], now[3]), (before[0], before[1], before[2], before[3])


def silo_index(now: SiloCounts, before: SiloCounts) -> SiloIndex:
    """The shares from both periods' counts, compared."""

    def shares(c: SiloCounts) -> tuple[float | None, float | None, float | None]:
        engaged, engaged_cross, answered, answered_cross = c
        return (
            ratio(engaged_cross, engaged),
            ratio(answered_cross, answered),
            ratio(engaged_cross + answered_cross, engaged + answered),
        )

    current, previous = shares(now), shares(before)
    return SiloIndex(
        engagement=compare(current[0], previous[0]),
        answers=compare(current[1], previous[1]),
        overall=compare(current[2], previous[2]),
        engagement_rows=now[0],
        answer_rows=now[2],
    )
