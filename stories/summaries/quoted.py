"""The parts of a summary that quote stories: top themes and the most resonated stories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from stories.models import PromptAnswer, Story, StoryResonance
from stories.periods import Period
from stories.summaries.model import ResonatedStory, ThemeSummary, compare
from stories.summaries.query import story_filter, within
from stories.themes import ThemeDocument, count_containing, extract_themes

THEME_STORIES = 80
THEME_ANSWERS = 40
THEME_LIMIT = 8
RESONATED_LIMIT = 5


def _resonated_rows(
    session: Session, workspace_id: int, period: Period, department_id: int | None
) -> Sequence[tuple[int, int, int]]:
    """(story id, resonates, from other departments) of the most resonated stories captured
    in the period, by every "This resonates" they have had so far (``storyresonance``)."""
    ranked = [
        col(StoryResonance.workspace_id) == workspace_id,
        within(col(StoryResonance.created_at), period),
        col(StoryResonance.resonates) > 0,
    ]
    query = select(StoryResonance.story_id, StoryResonance.resonates, StoryResonance.from_other)
    if department_id is not None:
        # From the department's own stories (one index range), not from the whole period's.
        own = select(Story.id).where(*story_filter(workspace_id, period, department_id))
        query = query.where(col(StoryResonance.story_id).in_(own))
    return session.exec(
        query.where(*ranked)
        .order_by(col(StoryResonance.resonates).desc(), col(StoryResonance.story_id))
        .limit(RESONATED_LIMIT)
    ).all()


def most_resonated(
    session: Session,
    workspace_id: int,
    period: Period,
    department_id: int | None,
    names: dict[int, str],
) -> tuple[ResonatedStory, ...]:
    """The period's stories with the most resonates, each with its text and department."""
    rows = _resonated_rows(session, workspace_id, period, department_id)
    if not rows:
        return ()
    stories = {
        s.id: s for s in session.exec(select(Story).where(col(Story.id).in_([r[0] for r in rows])))
    }
    out = []
    for sid, count, cross in rows:
        story = stories[sid]
        out.append(
            ResonatedStory(
                story_id=sid,
                text=story.text,
                touchpoint=story.touchpoint,
                department=names.get(story.department_id) if story.department_id else None,
                resonates=int(count),
                from_other_departments=int(cross),
            )
        )
    return tuple(out)


def _theme_documents(
    session: Session, workspace_id: int, period: Period, department_id: int | None
) -> tuple[list[ThemeDocument], bool]:
    where = story_filter(workspace_id, period, department_id)
    stories = session.exec(
        select(Story.id, Story.text)
        .where(*where)
        .order_by(col(Story.created_at).desc(), col(Story.id).desc())
        .limit(THEME_STORIES + 1)
    ).all()
    answer_where: list[Any] = [
        col(PromptAnswer.workspace_id) == workspace_id,
        within(col(PromptAnswer.created_at), period),
    ]
    if department_id is not None:
        answer_where.append(col(PromptAnswer.department_id) == department_id)
    answers = session.exec(
        select(PromptAnswer.story_id, PromptAnswer.text)
        .where(*answer_where)
        .order_by(col(PromptAnswer.created_at).desc(), col(PromptAnswer.id).desc())
        .limit(THEME_ANSWERS + 1)
    ).all()
    sampled = len(stories) > THEME_STORIES or len(answers) > THEME_ANSWERS
    # Oldest first, so the document order (and any YAKE tie) does not depend on the sample edge.
    documents = [
        ThemeDocument(text=text, story_id=sid, is_story=True)
        for sid, text in sorted(stories[:THEME_STORIES], key=lambda r: r[0] or 0)
    ] + [
        ThemeDocument(text=text, story_id=sid, is_story=False)
        for sid, text in reversed(answers[:THEME_ANSWERS])
    ]
    return documents, sampled


def themes(
    session: Session, workspace_id: int, period: Period, department_id: int | None
) -> tuple[tuple[ThemeSummary, ...], bool]:
    """The period's top themes compared with the previous period, and whether they sampled."""
    documents, sampled = _theme_documents(session, workspace_id, period, department_id)
    found = extract_themes(documents, limit=THEME_LIMIT)
    if not found:
        return (), sampled
    previous_docs, previous_sampled = _theme_documents(
        session, workspace_id, period.previous(), department_id
    )
    before = count_containing(previous_docs, [t.key for t in found])
    example_ids = [t.example_story_id for t in found if t.example_story_id is not None]
    texts = dict(
        session.exec(select(Story.id, Story.text).where(col(Story.id).in_(example_ids))).all()
    )
    return (
        tuple(
            ThemeSummary(
                phrase=t.phrase,
                count=compare(t.count, before[t.key]),
                example_story_id=t.example_story_id,
                # An answer may be the only mention; show the story it was about when there is one.
                example_text=texts.get(t.example_story_id, t.example_text)
                if t.example_story_id is not None
                else t.example_text,
            )
            for t in found
        ),
        sampled or previous_sampled,
    )
