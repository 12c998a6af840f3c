"""The stories table and the story page: chat search's ranking and visibility, with filters.

With words, the table is :func:`stories.search.search_stories` itself (the same ranking as
``/story search``); without, the newest stories first. Either way only what the viewer may
read is listed (:mod:`stories.visibility`): the lead's own view is ``Viewer.member(lead)``,
exactly as in their private chat replies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from stories.capture import get_story, normalise_touchpoint
from stories.errors import NotFoundError
from stories.models import (
    Department,
    Emotion,
    Engagement,
    EngagementKind,
    Member,
    PromptAnswer,
    SourceKind,
    Story,
)
from stories.search import search_stories
from stories.summaries.view import excerpt
from stories.visibility import Viewer, may_see, visible_clause

PAGE_SIZE = 25
NO_DEPARTMENT = "No department"


@dataclass(frozen=True)
class StoryFilters:
    words: str = ""
    touchpoint: str | None = None
    department_id: int | None = None
    emotion: Emotion | None = None
    source: SourceKind | None = None
    since: datetime | None = None
    until: datetime | None = None  # inclusive, as in chat search
    page: int = 1


@dataclass(frozen=True)
class StoryRow:
    id: int
    excerpt: str
    touchpoint: str | None
    emotion: str | None
    source: str
    department: str | None
    created_at: datetime
    resonates: int
    shared: bool


@dataclass(frozen=True)
class StoriesPage:
    rows: tuple[StoryRow, ...]
    page: int
    has_more: bool


def _browse(
    session: Session, workspace_id: int, viewer: Viewer, filters: StoryFilters, offset: int
) -> list[Story]:
    query = select(Story).where(Story.workspace_id == workspace_id, visible_clause(viewer))
    for attribute, value in (
        (Story.touchpoint, normalise_touchpoint(filters.touchpoint)),
        (Story.department_id, filters.department_id),
        (Story.emotion, filters.emotion),
        (Story.source_kind, filters.source),
    ):
        if value is not None:
            query = query.where(col(attribute) == value)
    if filters.since is not None:
        query = query.where(col(Story.created_at) >= filters.since)
    if filters.until is not None:
        query = query.where(col(Story.created_at) <= filters.until)
    query = query.order_by(col(Story.created_at).desc(), col(Story.id).desc())
    return list(session.exec(query.offset(offset).limit(PAGE_SIZE + 1)))


def stories_page(
    *, session: Session, workspace_id: int, viewer: Viewer, filters: StoryFilters
) -> StoriesPage:
    """One page of the table.

    Raises:
        InvalidSearchError: words that hold nothing to look for (e.g. only exclusions).
    """
    page = max(filters.page, 1)
    offset = (page - 1) * PAGE_SIZE
    if filters.words.strip():
        found = search_stories(
            session=session,
            workspace_id=workspace_id,
            query=filters.words,
            touchpoint=filters.touchpoint,
            department_id=filters.department_id,
            since=filters.since,
            until=filters.until,
            emotion=filters.emotion,
            source=filters.source,
            limit=PAGE_SIZE,
            offset=offset,
            viewer=viewer,
        )
        stories, has_more = [hit.story for hit in found.hits], found.has_more
    else:
        listed = _browse(session, workspace_id, viewer, filters, offset)
        stories, has_more = listed[:PAGE_SIZE], len(listed) > PAGE_SIZE
    return StoriesPage(rows=tuple(_rows(session, stories)), page=page, has_more=has_more)


def _rows(session: Session, stories: Sequence[Story]) -> list[StoryRow]:
    ids = [s.id for s in stories if s.id is not None]
    tallies = (
        dict(
            session.exec(
                select(Engagement.story_id, func.count())
                .where(
                    col(Engagement.story_id).in_(ids), Engagement.kind == EngagementKind.RESONATES
                )
                .group_by(col(Engagement.story_id))
            ).all()
        )
        if ids
        else {}
    )
    names = _department_names(session, {s.department_id for s in stories})
    return [
        StoryRow(
            id=story.id or 0,
            excerpt=excerpt(story.text),
            touchpoint=story.touchpoint,
            emotion=story.emotion.value if story.emotion else None,
            source=story.source_kind.value,
            department=names.get(story.department_id) if story.department_id else None,
            created_at=story.created_at,
            resonates=int(tallies.get(story.id or 0, 0)),
            shared=story.shared,
        )
        for story in stories
    ]


def _department_names(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.exec(
        select(Department.id, Department.name).where(col(Department.id).in_(wanted))
    ).all()
    return {key: name for key, name in rows}


@dataclass(frozen=True)
class Answer:
    text: str
    by: str
    at: datetime


@dataclass(frozen=True)
class StoryDetail:
    row: StoryRow
    text: str
    customer_label: str | None
    teller: str | None
    permalink: str | None
    posted: bool  # it has a post in the stories channel (which hide/delete update)
    answers: tuple[tuple[str, tuple[Answer, ...]], ...]  # by department
    resonates: tuple[tuple[str, int], ...]  # by department, most first


def story_detail(
    *, session: Session, workspace_id: int, viewer: Viewer, story_id: int
) -> StoryDetail:
    """One story with its answers and resonates by department.

    Raises:
        NotFoundError: no such story in this workspace, or not one the viewer may read (the
            same answer either way, so nobody learns that a private story exists).
    """
    story = get_story(session=session, workspace_id=workspace_id, story_id=story_id)
    if not may_see(story, viewer):
        raise NotFoundError(kind="story", key=story_id)
    answers = session.exec(
        select(PromptAnswer, Member.display_name, Department.name)
        .join(Member, col(Member.id) == col(PromptAnswer.member_id))
        .outerjoin(Department, col(Department.id) == col(PromptAnswer.department_id))
        .where(PromptAnswer.story_id == story_id, PromptAnswer.workspace_id == workspace_id)
        .order_by(col(PromptAnswer.created_at))
    ).all()
    grouped: dict[str, list[Answer]] = {}
    for answer, name, department in answers:
        grouped.setdefault(department or NO_DEPARTMENT, []).append(
            Answer(text=answer.text, by=name or "someone", at=answer.created_at)
        )
    resonates = session.exec(
        select(Department.name, func.count())
        .select_from(Engagement)
        .outerjoin(Department, col(Department.id) == col(Engagement.department_id))
        .where(Engagement.story_id == story_id, Engagement.kind == EngagementKind.RESONATES)
        .group_by(col(Department.name))
    ).all()
    teller = session.get(Member, story.author_member_id) if story.author_member_id else None
    [row] = _rows(session, [story])
    return StoryDetail(
        row=row,
        text=story.text,
        customer_label=story.customer_label,
        teller=(teller.display_name or None) if teller else None,
        permalink=story.permalink,
        posted=story.channel_post_ref is not None,
        answers=tuple((name, tuple(items)) for name, items in sorted(grouped.items())),
        resonates=tuple(
            sorted(((name or NO_DEPARTMENT, int(n)) for name, n in resonates), key=lambda r: -r[1])
        ),
    )
