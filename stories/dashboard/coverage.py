"""Line-of-sight coverage: of the members of departments that never meet customers, the share
who answered a prompt about a real story or said a story resonates, in a period.

It is the figure a CX lead is trying to move: how many of the people far from customers saw
a real customer and reacted. Members count by their department as it is now (as
participation does in :mod:`stories.summaries`); customer-facing departments and members in no
department are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, select, union
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


def _reached_by_department(
    session: Session, workspace_id: int, start: datetime, end: datetime
) -> tuple[dict[int, int], dict[int, int], dict[int, str]]:
    """(members, members reached) per non-customer-facing department, and their names."""
    answered: Select[tuple[int]] = select(col(PromptAnswer.member_id).label("member_id")).where(
        col(PromptAnswer.workspace_id) == workspace_id,
        col(PromptAnswer.story_id).is_not(None),
        col(PromptAnswer.created_at) >= start,
        col(PromptAnswer.created_at) < end,
    )
    resonated: Select[tuple[int]] = select(col(Engagement.member_id).label("member_id")).where(
        col(Engagement.workspace_id) == workspace_id,
        col(Engagement.kind) == EngagementKind.RESONATES,
        col(Engagement.created_at) >= start,
        col(Engagement.created_at) < end,
    )
    reached = union(answered, resonated).subquery()
    rows = session.execute(
        select(
            col(Department.id),
            col(Department.name),
            func.count(col(Member.id)),
            func.count(reached.c.member_id),
        )
        .outerjoin(Member, and_(col(Member.department_id) == col(Department.id)))
        .outerjoin(reached, reached.c.member_id == col(Member.id))
        .where(
            col(Department.workspace_id) == workspace_id,
            col(Department.customer_facing).is_(False),
        )
        .group_by(col(Department.id), col(Department.name))
    ).all()
    members = {int(r[0]): int(r[2]) for r in rows}
    hits = {int(r[0]): int(r[3]) for r in rows}
    names = {int(r[0]): str(r[1]) for r in rows}
    return members, hits, names


def line_of_sight_coverage(*, session: Session, workspace_id: int, period: Period) -> Coverage:
    """Coverage in ``period`` and in the previous period of equal length, by department.

    Args:
        session: an open session (only reads).
        workspace_id: the lead's workspace; nothing outside it is read.
        period: the period; the previous one is :meth:`Period.previous`.
    """
    before = period.previous()
    members, now_hits, names = _reached_by_department(
        session, workspace_id, period.start, period.end
    )
    _, then_hits, _ = _reached_by_department(session, workspace_id, before.start, before.end)
    departments = tuple(
        DepartmentCoverage(
            department_id=key,
            name=names[key],
            members=members[key],
            reached=compare(now_hits.get(key, 0), then_hits.get(key, 0)),
            coverage=compare(
                ratio(now_hits.get(key, 0), members[key]),
                ratio(then_hits.get(key, 0), members[key]),
            ),
        )
        for key in sorted(names, key=lambda k: names[k].casefold())
    )
    total = sum(members.values())
    reached_now, reached_then = sum(now_hits.values()), sum(then_hits.values())
    return Coverage(
        members=total,
        reached=compare(reached_now, reached_then),
        overall=compare(ratio(reached_now, total), ratio(reached_then, total)),
        departments=departments,
    )


def reached_members(*, session: Session, workspace_id: int, start: datetime, end: datetime) -> int:
    """How many members of non-customer-facing departments reacted between start and end."""
    _, hits, _ = _reached_by_department(session, workspace_id, start, end)
    return sum(hits.values())
