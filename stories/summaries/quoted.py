"""The parts of a summary that quote stories: top themes and the most resonated stories.

A summary is posted where several people read it (the leads' channel, a Teams channel), so
the stories it quotes are those anyone may read (:func:`stories.visibility.visible_clause`
for ``Viewer.anyone()``: shared stories). Private stories still count: in themes' counts
here, and in every figure elsewhere; a theme only private stories say is not named.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from stories.models import PromptAnswer, Story, StoryResonance
from stories.periods import Period
from stories.summaries.model import ResonatedStory, ThemeSummary, compare
from stories.summaries.query import story_filter, within
from stories.themes import Theme, ThemeDocument, count_containing, extract_themes, normalise
from stories.visibility import Viewer, visible_clause

THEME_STORIES = 80
THEME_ANSWERS = 40
THEME_LIMIT = 8
RESONATED_LIMIT = 5
RESONATED_CANDIDATES = 50  # the most resonated, shared or not, looked through first
AUDIENCE = Viewer.anyone()  # who reads a summary's quotes


def _resonated_rows(
    session: Session, workspace_id: int, period: Period, department_id: int | None
) -> Sequence[tuple[int, int, int]]:
    """(story id, resonates, from other departments) of the most resonated shared stories
    captured in the period, by every "This resonates" they have had so far."""
    rows = _ranked(session, workspace_id, period, department_id, among=RESONATED_CANDIDATES)
    if len(rows) < RESONATED_LIMIT:  # private stories crowd the top, or there are few
        rows = _ranked(session, workspace_id, period, department_id, among=None)
    return rows


def _ranked(
    session: Session,
    workspace_id: int,
    period: Period,
    department_id: int | None,
    *,
    among: int | None,
) -> Sequence[tuple[int, int, int]]:
    """The shared ones among the ``among`` most resonated stories (all of them for None).

    Ranking first and looking stories up after keeps the common case to a few lookups: the
    period's ``storyresonance`` rows are read from their index alone, while checking each of
    them against ``story`` would cost one lookup per resonated story of the period.
    """
    order = (col(StoryResonance.resonates).desc(), col(StoryResonance.story_id))
    query = select(StoryResonance.story_id, StoryResonance.resonates, StoryResonance.from_other)
    if department_id is not None:
        # From the department's own stories (one index range), not from the whole period's.
        own = select(Story.id).where(*story_filter(workspace_id, period, department_id))
        query = query.where(col(StoryResonance.story_id).in_(own))
    top = (
        query.where(
            col(StoryResonance.workspace_id) == workspace_id,
            within(col(StoryResonance.created_at), period),
            col(StoryResonance.resonates) > 0,
        )
        .order_by(*order)
        .limit(among)
        .subquery()
    )
    return session.exec(
        select(top.c.story_id, top.c.resonates, top.c.from_other)
        .join(Story, col(Story.id) == top.c.story_id)
        .where(visible_clause(AUDIENCE))
        .order_by(top.c.resonates.desc(), top.c.story_id)
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
    """The period's top themes compared with the previous period, and whether they sampled.

    Themes are counted in every story and answer, private ones included, but a theme is named
    only when something anyone may read says it (a shared story or an answer): a phrase found
    in private stories alone is their own words. Each quotes a shared story that mentions
    it, or nothing when none does.
    """
    documents, sampled = _theme_documents(session, workspace_id, period, department_id)
    readable = _readable(session, documents)
    found = [
        theme
        for theme in extract_themes(documents, limit=THEME_LIMIT * 3)
        if _speakable(theme.key, documents, readable)
    ][:THEME_LIMIT]
    if not found:
        return (), sampled
    previous_docs, previous_sampled = _theme_documents(
        session, workspace_id, period.previous(), department_id
    )
    before = count_containing(previous_docs, [t.key for t in found])
    examples = _examples(found, documents, readable)
    return (
        tuple(
            ThemeSummary(
                phrase=t.phrase,
                count=compare(t.count, before[t.key]),
                example_story_id=examples[t.key][0] if t.key in examples else None,
                example_text=examples[t.key][1] if t.key in examples else "",
            )
            for t in found
        ),
        sampled or previous_sampled,
    )


def _readable(session: Session, documents: Sequence[ThemeDocument]) -> dict[int, str]:
    """Story id -> text of the documents' stories that anyone may read."""
    ids = {d.story_id for d in documents if d.story_id is not None}
    readable = select(Story.id, Story.text).where(col(Story.id).in_(ids), visible_clause(AUDIENCE))
    return {sid: text for sid, text in session.exec(readable) if sid is not None}


def _speakable(key: str, documents: Sequence[ThemeDocument], readable: dict[int, str]) -> bool:
    """Whether a shared story or an answer (posted in its prompt's thread) says ``key``."""
    return any(
        (not d.is_story or d.story_id in readable) and f" {key} " in f" {normalise(d.text)} "
        for d in documents
    )


def _examples(
    found: Sequence[Theme], documents: Sequence[ThemeDocument], shared: dict[int, str]
) -> dict[str, tuple[int, str]]:
    """Theme key -> (story id, text) of the shared story each theme quotes.

    The same choice as :func:`stories.themes.extract_themes` makes among all documents (a
    story before an answer, then the lowest story id), made among the documents whose story
    anyone may read (``shared``). An answer quotes the story it is about; an answer about no
    story (its story was deleted) quotes nothing.
    """
    candidates = sorted(
        (i for i, d in enumerate(documents) if d.story_id in shared),
        key=lambda i: (not documents[i].is_story, documents[i].story_id, i),
    )
    examples: dict[str, tuple[int, str]] = {}
    for i in candidates:
        if len(examples) == len(found):
            break
        words = f" {normalise(documents[i].text)} "
        story_id = documents[i].story_id or 0
        for theme in found:
            if theme.key not in examples and f" {theme.key} " in words:
                examples[theme.key] = (story_id, shared[story_id])
    return examples
