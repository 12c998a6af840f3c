"""Engagement with stories: "This resonates", counted once per member, on every platform."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stories.clock import Clock
from stories.models import Department, Engagement, EngagementKind, Member, Story


@dataclass(frozen=True)
class Resonance:
    total: int
    by_department: dict[str, int] = field(default_factory=dict)  # named departments only


def record_resonates(*, session: Session, clock: Clock, story: Story, member: Member) -> bool:
    """Count "This resonates" once per member; False when this member already did.

    The unique constraint decides, so two clicks racing on two replicas count once.
    """
    if member.id is None or story.id is None:
        raise ValueError("story and member must be stored first")
    try:
        with session.begin_nested():
            session.add(
                Engagement(
                    workspace_id=story.workspace_id,
                    story_id=story.id,
                    member_id=member.id,
                    department_id=member.department_id,
                    kind=EngagementKind.RESONATES,
                    created_at=clock.now(),
                )
            )
    except IntegrityError:
        return False
    session.commit()
    return True


def resonance(*, session: Session, story_id: int) -> Resonance:
    """How many members this story resonated with, and with which departments."""
    rows = session.exec(
        select(Department.name, func.count())
        .select_from(Engagement)
        .join(Department, col(Department.id) == col(Engagement.department_id), isouter=True)
        .where(Engagement.story_id == story_id, Engagement.kind == EngagementKind.RESONATES)
        .group_by(Department.name)
    ).all()
    return Resonance(
        total=sum(count for _, count in rows),
        by_department={name: count for name, count in rows if name},
    )
