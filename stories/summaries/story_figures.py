"""Stories captured: by source, touchpoint, emotion and week (whole days from ``storyday``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from stories.models import Story, StoryDay
from stories.periods import Period
from stories.sentiment import infer_emotion
from stories.summaries.model import (
    NO_TOUCHPOINT,
    OTHER,
    Count,
    TouchpointSeries,
    WeeklySeries,
    compare,
)
from stories.summaries.query import Split, as_date, count_by, story_filter, whole_days

EMOTION_SAMPLE = 500
EMOTION_CACHE = 4096  # memoised lexicon results (texts of stories without an emotion)
TOUCHPOINT_LIMIT = 12  # touchpoints listed by name in the breakdown; the rest are "other"


@dataclass
class StoryFigures:
    """One period's story counts (filled in row by row)."""

    sources: dict[str, int] = field(default_factory=dict)
    touchpoints: dict[str, int] = field(default_factory=dict)
    emotions: dict[str, int] = field(default_factory=dict)  # captured emotions only
    missing: int = 0  # stories captured without an emotion
    days: dict[tuple[date, str], int] = field(default_factory=dict)  # (UTC day, touchpoint)

    @property
    def total(self) -> int:
        return sum(self.sources.values())

    def add(self, dimension: str, key: str | None, n: int, day: date) -> None:
        if dimension == "source":
            self.sources[str(key)] = self.sources.get(str(key), 0) + n
        elif dimension == "touchpoint":
            touchpoint = key or NO_TOUCHPOINT
            self.touchpoints[touchpoint] = self.touchpoints.get(touchpoint, 0) + n
            self.days[(day, touchpoint)] = self.days.get((day, touchpoint), 0) + n
        elif key:
            self.emotions[key] = self.emotions.get(key, 0) + n
        else:
            self.missing += n


def _day(session: Session) -> Any:
    created = col(Story.created_at)
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", created))
    return func.date(created)  # SQLite keeps naive UTC text, so date() is already the UTC day


def story_figures(
    session: Session, workspace_id: int, period: Period, department_id: int | None
) -> tuple[StoryFigures, StoryFigures]:
    """(this period, previous period): whole days from ``storyday``, the rest from rows.

    A department's figures read its own rows (one index range), as the rollup is kept for the
    whole workspace only.
    """
    split = Split.of(period) if department_id is None else Split.rows_only(period)
    figures = {0: StoryFigures(), 1: StoryFigures()}
    for flag, day, (dimension, key, n) in whole_days(
        session, split, StoryDay, workspace_id, StoryDay.dimension, StoryDay.key
    ):
        figures[flag].add(dimension, key, n, day)
    keys = [col(Story.source_kind), col(Story.touchpoint), col(Story.emotion), _day(session)]
    # One query per piece: a single index range each (SQLite cannot range-scan an OR).
    for flag, piece in split.pieces:
        where = story_filter(workspace_id, piece, department_id)
        for source, touchpoint, emotion, raw_day, n in session.connection().execute(
            count_by(keys, where)
        ):
            day = as_date(raw_day)
            f = figures[flag]
            f.add("source", source, n, day)
            f.add("touchpoint", touchpoint, n, day)
            f.add("emotion", emotion, n, day)
    return figures[1], figures[0]


def counts(
    current: dict[str, int], previous: dict[str, int], limit: int | None
) -> tuple[Count, ...]:
    """Counts by key, largest first; beyond ``limit`` keys the rest are added up as "other"."""
    keys = sorted(
        set(current) | set(previous), key=lambda k: (-current.get(k, 0), -previous.get(k, 0), k)
    )
    if limit is not None and len(keys) > limit:
        rest = keys[limit:]
        keys = keys[:limit]
        current = {**current, OTHER: sum(current.get(k, 0) for k in rest) + current.get(OTHER, 0)}
        previous = {
            **previous,
            OTHER: sum(previous.get(k, 0) for k in rest) + previous.get(OTHER, 0),
        }
        keys = [k for k in keys if k != OTHER] + [OTHER]
    return tuple(Count(key=k, change=compare(current.get(k, 0), previous.get(k, 0))) for k in keys)


@lru_cache(maxsize=EMOTION_CACHE)
def _inferred_emotion(text: str) -> str:
    # VADER reads ~10,000 texts a second; a repeated summary samples mostly the same stories.
    return infer_emotion(text).value


def emotions(
    session: Session, where: Sequence[Any], figures: StoryFigures
) -> tuple[dict[str, int], dict[str, int], bool]:
    """(counts per emotion including inferred ones, inferred counts, sampled?)."""
    inferred: dict[str, int] = {}
    sampled = False
    if figures.missing:
        texts = session.exec(
            select(Story.text)
            .where(*where, col(Story.emotion).is_(None))
            .order_by(col(Story.created_at).desc(), col(Story.id).desc())
            .limit(EMOTION_SAMPLE)
        ).all()
        raw: dict[str, int] = defaultdict(int)
        for text in texts:
            raw[_inferred_emotion(text)] += 1
        sampled = figures.missing > len(texts)
        inferred = _scale(raw, figures.missing) if sampled else dict(raw)
    found = dict(figures.emotions)
    for emotion, n in inferred.items():
        found[emotion] = found.get(emotion, 0) + n
    return found, inferred, sampled


def _scale(sample: dict[str, int], total: int) -> dict[str, int]:
    """Scale a sampled mix to ``total`` with largest remainders, so the parts sum to ``total``."""
    size = sum(sample.values())
    exact = {k: v * total / size for k, v in sample.items()}
    scaled = {k: int(v) for k, v in exact.items()}
    short = total - sum(scaled.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - scaled[k]), k))[:short]:
        scaled[k] += 1
    return scaled


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly(period: Period, figures: StoryFigures) -> WeeklySeries:
    """Stories per ISO week and touchpoint, busiest touchpoint first."""
    first = _week_start(period.start.date())
    last = _week_start((period.end - timedelta(microseconds=1)).date())
    starts = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    index = {s: i for i, s in enumerate(starts)}
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(starts))
    for (day, touchpoint), n in figures.days.items():
        if n:
            series[touchpoint][index[_week_start(day)]] += n
    ordered = sorted(series, key=lambda k: (-sum(series[k]), k))
    labels = tuple(f"{s.isocalendar().year}-W{s.isocalendar().week:02d}" for s in starts)
    return WeeklySeries(
        weeks=labels,
        week_starts=tuple(starts),
        series=tuple(TouchpointSeries(touchpoint=k, counts=tuple(series[k])) for k in ordered),
    )
