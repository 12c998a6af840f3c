"""Themes with two or three representative quotes each, taken word for word from the period's
shared stories and the answers about them (nothing is generated or paraphrased)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from stories.models import PromptAnswer, Story
from stories.periods import Period
from stories.summaries.model import ThemeSummary
from stories.summaries.view import excerpt
from stories.themes import normalise
from stories.visibility import Viewer, visible_clause

QUOTES = 3
SAMPLE = 2000  # newest documents searched for quotes, so the page stays fast at any size
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Quote:
    text: str
    story_id: int | None
    kind: str  # "story" | "answer"


@dataclass(frozen=True)
class ThemeQuotes:
    phrase: str
    mentions: int | float | None
    quotes: tuple[Quote, ...]


def _sentence(text: str, key: str) -> str:
    """The sentence of ``text`` that holds the phrase (the whole text when none does)."""
    for sentence in _SENTENCE.split(text):
        if f" {key} " in f" {normalise(sentence)} ":
            return excerpt(sentence, 220)
    return excerpt(text, 220)


def themes_with_quotes(
    *, session: Session, workspace_id: int, period: Period, themes: tuple[ThemeSummary, ...]
) -> list[ThemeQuotes]:
    """Each theme of the summary with up to :data:`QUOTES` quotes (shared stories first)."""
    stories = session.exec(
        select(Story.id, Story.text)
        .where(
            Story.workspace_id == workspace_id,
            visible_clause(Viewer.anyone()),
            col(Story.created_at) >= period.start,
            col(Story.created_at) < period.end,
        )
        .order_by(col(Story.created_at).desc())
        .limit(SAMPLE)
    ).all()
    answers = session.exec(
        select(PromptAnswer.story_id, PromptAnswer.text)
        .join(Story, col(Story.id) == col(PromptAnswer.story_id))
        .where(
            PromptAnswer.workspace_id == workspace_id,
            visible_clause(Viewer.anyone()),
            col(PromptAnswer.created_at) >= period.start,
            col(PromptAnswer.created_at) < period.end,
        )
        .order_by(col(PromptAnswer.created_at).desc())
        .limit(SAMPLE)
    ).all()
    documents = [(i, t, "story") for i, t in stories] + [(i, t, "answer") for i, t in answers]
    padded = [f" {normalise(text)} " for _, text, _ in documents]
    found = []
    for theme in themes:
        key = normalise(theme.phrase)
        quotes: list[Quote] = []
        for (story_id, text, kind), words in zip(documents, padded, strict=True):
            if f" {key} " in words:
                quotes.append(Quote(text=_sentence(text, key), story_id=story_id, kind=kind))
            if len(quotes) == QUOTES:
                break
        found.append(ThemeQuotes(theme.phrase, theme.count.value, tuple(quotes)))
    return found
