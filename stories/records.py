"""The stable, machine-readable shape of a story (CLI `--json`, JSON Lines export).

Fields are only ever added to this record; renaming or removing one bumps SCHEMA_VERSION.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from sqlalchemy import func
from sqlmodel import Session, col, select

from stories.models import Department, Engagement, EngagementKind, Member, Story

SCHEMA_VERSION = 1


class StoryRecord(TypedDict):
    id: int
    created_at: str  # ISO 8601, UTC
    updated_at: str | None
    text: str
    customer_label: str | None
    touchpoint: str | None
    emotion: str | None
    source_kind: str
    permalink: str | None
    author: str | None  # display name
    author_id: str | None  # platform user id
    department: str | None  # the author's department when the story was captured
    shared: bool
    resonates: int
    redaction_count: int
    themes: list[str]


def story_records(*, session: Session, stories: Sequence[Story]) -> list[StoryRecord]:
    """Records for the given stories, in the same order, loading related rows in bulk."""
    member_ids = {s.author_member_id for s in stories if s.author_member_id is not None}
    department_ids = {s.department_id for s in stories if s.department_id is not None}
    story_ids = [s.id for s in stories if s.id is not None]
    members = (
        {m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(member_ids)))}
        if member_ids
        else {}
    )
    departments = (
        {
            d.id: d.name
            for d in session.exec(select(Department).where(col(Department.id).in_(department_ids)))
        }
        if department_ids
        else {}
    )
    resonates: dict[int, int] = {}
    if story_ids:
        rows = session.exec(
            select(Engagement.story_id, func.count())
            .where(
                col(Engagement.story_id).in_(story_ids),
                Engagement.kind == EngagementKind.RESONATES,
            )
            .group_by(col(Engagement.story_id))
        )
        resonates = {story_id: count for story_id, count in rows}
    records: list[StoryRecord] = []
    for story in stories:
        author = members.get(story.author_member_id) if story.author_member_id else None
        records.append(
            StoryRecord(
                id=story.id or 0,
                created_at=story.created_at.isoformat(),
                updated_at=story.updated_at.isoformat() if story.updated_at else None,
                text=story.text,
                customer_label=story.customer_label,
                touchpoint=story.touchpoint,
                emotion=story.emotion.value if story.emotion else None,
                source_kind=story.source_kind.value,
                permalink=story.permalink,
                author=(author.display_name or author.platform_user_id) if author else None,
                author_id=author.platform_user_id if author else None,
                department=departments.get(story.department_id) if story.department_id else None,
                shared=story.shared,
                resonates=resonates.get(story.id or 0, 0),
                redaction_count=story.redaction_count,
                themes=list(story.themes or []),
            )
        )
    return records
