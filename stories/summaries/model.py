"""The summary's values: frozen dataclasses that every renderer reads and nothing changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from stories.periods import Period

NO_TOUCHPOINT = "(none)"
OTHER = "other"

Direction = Literal["up", "down", "flat"]
Number = int | float


@dataclass(frozen=True)
class Change:
    """A figure and the same figure for the previous period.

    ``delta`` is ``None`` and ``direction`` is "flat" when either side is unknown (``None``).
    """

    value: Number | None
    previous: Number | None
    delta: Number | None
    direction: Direction


def compare(value: Number | None, previous: Number | None) -> Change:
    """The :class:`Change` from ``previous`` to ``value``; unknown when either is ``None``."""
    if value is None or previous is None:
        return Change(value=value, previous=previous, delta=None, direction="flat")
    delta = value - previous
    if isinstance(delta, float):
        delta = round(delta, 10)  # 0.3 - 0.1 - 0.2 is not quite 0
    direction: Direction = "up" if delta > 0 else "down" if delta < 0 else "flat"
    return Change(value=value, previous=previous, delta=delta, direction=direction)


def ratio(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``, or ``None`` (shown as "n/a") when there is nothing to divide."""
    return None if denominator == 0 else numerator / denominator


@dataclass(frozen=True)
class Count:
    key: str
    change: Change


@dataclass(frozen=True)
class ThemeSummary:
    phrase: str
    count: Change  # stories and answers that mention it, private ones included
    example_story_id: int | None
    example_text: str  # a shared story that mentions it; "" when only private ones do


@dataclass(frozen=True)
class EmotionShare:
    emotion: str
    count: Change
    share: float | None  # of all stories in the period
    inferred: int  # how many of ``count.value`` were filled in by the lexicon


@dataclass(frozen=True)
class DepartmentSummary:
    department_id: int
    name: str
    members: int
    prompts_delivered: Change
    prompts_answered: Change
    answers: Change
    answering_members: Change
    response_rate: Change
    participation: Change
    # Story-harvest prompts (customer-facing departments): harvests that brought a story, of
    # those sent; None when the department was sent none in either period.
    harvest_response_rate: Change | None = None


@dataclass(frozen=True)
class ResonatedStory:
    """One of the period's most resonated stories; only shared stories are listed."""

    story_id: int
    text: str
    touchpoint: str | None
    department: str | None
    resonates: int
    from_other_departments: int


@dataclass(frozen=True)
class SiloIndex:
    engagement: Change
    answers: Change
    overall: Change
    engagement_rows: int  # rows with both departments known, this period
    answer_rows: int


@dataclass(frozen=True)
class TouchpointSeries:
    touchpoint: str
    counts: tuple[int, ...]  # one per week of ``WeeklySeries.weeks``


@dataclass(frozen=True)
class WeeklySeries:
    """Stories captured per ISO week (Monday start, UTC) and touchpoint, this period only."""

    weeks: tuple[str, ...]  # "2026-W45"
    week_starts: tuple[date, ...]
    series: tuple[TouchpointSeries, ...]


@dataclass(frozen=True)
class DepartmentRef:
    department_id: int
    name: str


@dataclass(frozen=True)
class Summary:
    workspace_id: int
    workspace_name: str
    department: DepartmentRef | None
    period: Period
    previous: Period
    generated_at: datetime
    stories: Change
    by_source: tuple[Count, ...]
    by_touchpoint: tuple[Count, ...]
    themes: tuple[ThemeSummary, ...]
    themes_sampled: bool
    emotions: tuple[EmotionShare, ...]
    emotions_inferred: int
    emotions_sampled: bool
    prompts_sent: Change
    answers: Change
    response_rate: Change
    participation: Change
    departments: tuple[DepartmentSummary, ...]
    silent_departments: tuple[str, ...]
    most_resonated: tuple[ResonatedStory, ...]
    silo: SiloIndex
    weekly: WeeklySeries

    @property
    def is_empty(self) -> bool:
        return (
            not self.stories.value and not self.prompts_sent.value and not self.silo.overall.value
        )
