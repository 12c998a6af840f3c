"""Choosing what a prompt carries: the best story for a department and its next question."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from stories.models import (
    DeliveryStatus,
    Department,
    Engagement,
    EngagementKind,
    PromptDelivery,
    PromptTemplate,
    Story,
    StoryFeedback,
)
from stories.prompt_library import TouchpointMap, touchpoint_matches

GENERAL_AREA = "general"
MAX_CANDIDATES = 2000  # most recent shared stories considered for one prompt
RECENCY_HALF_LIFE_DAYS = 30.0
RESONANCE_WEIGHT = 0.35
NOT_RELEVANT_PENALTY = 0.75
NO_STORY_REASON = "no eligible story"
NO_QUESTION_REASON = "no active prompt questions in the library"
_USED_STATUSES = (DeliveryStatus.SENT, DeliveryStatus.CLAIMED)


@dataclass(frozen=True)
class StoryChoice:
    story: Story
    score: float
    matched: bool  # its touchpoint maps to the department (else a fallback)


def choose_story(
    *,
    session: Session,
    department: Department,
    touchpoints: Collection[str],
    now: datetime,
    repeat_window: timedelta,
    exclude_delivery_id: int | None = None,
) -> StoryChoice | None:
    """The best shareable story for a department, or None when nothing is eligible.

    Only ``shared`` stories qualify (a private-channel story only once someone shared it).
    Stories whose touchpoint maps to the department come first; within each group the
    score is recency (halving every 30 days) plus resonance, minus each "not relevant" mark
    from this department. A story sent to this department within ``repeat_window`` is never
    chosen again.
    """
    recent = _recently_sent(session, department, now - repeat_window, exclude_delivery_id)
    stories = [s for s in _shared_stories(session, department, now) if s.id not in recent]
    if not stories:
        return None
    ids = [story.id for story in stories]
    resonance = _counts(
        session,
        select(Engagement.story_id, func.count())
        .where(
            col(Engagement.story_id).in_(ids),
            Engagement.kind == EngagementKind.RESONATES,
        )
        .group_by(col(Engagement.story_id)),
    )
    not_relevant = _counts(
        session,
        select(StoryFeedback.story_id, func.count())
        .where(
            col(StoryFeedback.story_id).in_(ids),
            StoryFeedback.department_id == department.id,
        )
        .group_by(col(StoryFeedback.story_id)),
    )
    choices = [
        StoryChoice(
            story=story,
            score=_score(story, now, resonance[story.id or 0], not_relevant[story.id or 0]),
            matched=touchpoint_matches(story.touchpoint, touchpoints),
        )
        for story in stories
    ]
    # Matched first, then best score, then newest id: deterministic on every replica.
    choices.sort(key=lambda c: (not c.matched, -c.score, -(c.story.id or 0)))
    return choices[0]


def _recently_sent(
    session: Session, department: Department, since: datetime, exclude_delivery_id: int | None
) -> set[int | None]:
    """Stories this department was sent (or is being sent) since ``since``."""
    return set(
        session.exec(
            select(PromptDelivery.story_id).where(
                PromptDelivery.department_id == department.id,
                col(PromptDelivery.story_id).is_not(None),
                col(PromptDelivery.status).in_(_USED_STATUSES),
                PromptDelivery.occurrence_at >= since,
                PromptDelivery.id != (exclude_delivery_id or -1),
            )
        )
    )


def _shared_stories(session: Session, department: Department, now: datetime) -> list[Story]:
    """The newest shared stories of the department's workspace, at most `MAX_CANDIDATES`."""
    return list(
        session.exec(
            select(Story)
            .where(
                Story.workspace_id == department.workspace_id,
                col(Story.shared).is_(True),
                Story.created_at <= now,
            )
            .order_by(col(Story.created_at).desc(), col(Story.id).desc())
            .limit(MAX_CANDIDATES)
        )
    )


def _score(story: Story, now: datetime, resonates: int, not_relevant: int) -> float:
    age_days = max(0.0, (now - story.created_at).total_seconds() / 86400)
    recency = math.pow(0.5, age_days / RECENCY_HALF_LIFE_DAYS)
    return recency + RESONANCE_WEIGHT * math.log1p(resonates) - NOT_RELEVANT_PENALTY * not_relevant


def _counts(session: Session, query: object) -> Counter[int]:
    counts: Counter[int] = Counter()
    for story_id, count in session.exec(query):  # type: ignore[call-overload]
        counts[int(story_id)] = int(count)
    return counts


def choose_question(
    *, session: Session, department: Department, area: str | None
) -> PromptTemplate | None:
    """The next question for a department: never a repeat until its area's list is used up.

    Falls back to the general questions (then any area) when an area has none.
    """
    for wanted in (*([area] if area else []), GENERAL_AREA, None):
        query = select(PromptTemplate).where(col(PromptTemplate.active).is_(True))
        if wanted is not None:
            query = query.where(PromptTemplate.area == wanted)
        templates = list(session.exec(query.order_by(col(PromptTemplate.key))))
        if templates:
            break
    else:
        return None
    used = _counts(
        session,
        select(PromptDelivery.template_id, func.count())
        .where(
            PromptDelivery.department_id == department.id,
            col(PromptDelivery.template_id).is_not(None),
            col(PromptDelivery.status).in_(_USED_STATUSES),
        )
        .group_by(col(PromptDelivery.template_id)),
    )
    # The least-used question, in library order: a full round before any repeat.
    return min(templates, key=lambda t: (used[t.id or 0], t.key))


@dataclass(frozen=True)
class PromptPreview:
    """What a department would receive now; nothing is claimed or sent."""

    department: Department
    area: str | None
    story: StoryChoice | None
    question: PromptTemplate | None


def preview_prompt(
    *,
    session: Session,
    department: Department,
    touchpoint_map: TouchpointMap,
    now: datetime,
    repeat_window: timedelta,
) -> PromptPreview:
    area = touchpoint_map.area_for(department.name)
    return PromptPreview(
        department=department,
        area=area,
        story=choose_story(
            session=session,
            department=department,
            touchpoints=touchpoint_map.touchpoints_for(area),
            now=now,
            repeat_window=repeat_window,
        ),
        question=choose_question(session=session, department=department, area=area),
    )
