"""Line-of-sight coverage: of the members of departments that never meet customers, the share
who answered a prompt about a real story or said a story resonates, in a period.

It is the figure a CX lead is trying to move: how many of the people far from customers saw
a real customer and reacted. Members count by their department as it is now (as
participation does in :mod:`stories.summaries`); customer-facing departments and members in no
department are left out.

The query walks the members (tens of thousands at most) and asks, per member, whether a
reaction exists in the period: two index seeks each (migration 0014), so its cost follows
the number of people, not the millions of resonates and answers behind them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlmodel import Session, col

from stories.models import Department, Engagement, EngagementKind, Member, PromptAnswer
from stories.periods import Period
from stories.summaries.model import Change, compare, ratio


@dataclass(frozen=True)
class DepartmentCoverage:
    department_id: int
    name: str
    members: int
    reached: Change
    coverage: Change


@dataclass(frozen=True)
class Coverage:
    members: int
    reached: Change
    overall: Change
    departments: tuple[DepartmentCoverage, ...]


def _reached(period: Period) -> Any:
    """Whether the member in the outer query reacted to a real story in ``period``."""
    resonated = exists().where(
        col(Engagement.member_id) == col(Member.id),
        col(Engagement.kind) == EngagementKind.RESONATES,
        col(Engagement.created_at) >= period.start,
        col(Engagement.created_at) < period.end,
    )
    answered = exists().where(
        col(PromptAnswer.member_id) == col(Member.id),
        col(PromptAnswer.created_at) >= period.start,
        col(PromptAnswer.created_at) < period.end,
        col(PromptAnswer.story_id).is_not(None),
    )
    return func.sum(case((or_(resonated, answered), 1), else_=0))


def line_of_sight_coverage(*, session: Session, workspace_id: int, period: Period) -> Coverage:
    """Coverage in ``period`` and in the previous period of equal length, by department.

    Args:
        session: an open session (only reads).
        workspace_id: the lead's workspace; nothing outside it is read.
        period: the period; the previous one is :meth:`Period.previous`.
    """
    rows = session.execute(
        select(
            col(Department.id),
            col(Department.name),
            func.count(col(Member.id)),
            _reached(period),
            _reached(period.previous()),
        )
        .select_from(Department)
        .outerjoin(Member, and_(col(Member.department_id) == col(Department.id)))
        .where(
            col(Department.workspace_id) == workspace_id,
            col(Department.customer_facing).is_(False),
        )
        .group_by(col(Department.id), col(Department.name))
    ).all()
    departments = tuple(
        DepartmentCoverage(
            department_id=int(key),
            name=str(name),
            members=int(members),
            reached=compare(int(now or 0), int(then or 0)),
            coverage=compare(
                ratio(int(now or 0), int(members)), ratio(int(then or 0), int(members))
            ),
        )
        for key, name, members, now, then in sorted(rows, key=lambda r: str(r[1]).casefold())
    )
    total = sum(d.members for d in departments)
    now_total = sum(int(d.reached.value or 0) for d in departments)
    then_total = sum(int(d.reached.previous or 0) for d in departments)
    return Coverage(
        members=total,
        reached=compare(now_total, then_total),
        overall=compare(ratio(now_total, total), ratio(then_total, total)),
        departments=departments,
    )
