"""The CX lead summary: one platform-neutral object that Slack, Teams and the CLI all render.

Every figure is computed for a period and for the previous period of equal length, and
reported as a :class:`Change` (value, previous, delta, direction).

Counting is exact and reads pre-aggregated counts that the database keeps up to date with
triggers on every write (migration 0009), so its cost follows the number of days, prompts and
members, not of stories, resonates and answers:

- Whole UTC days come from ``storyday`` (stories by source, touchpoint, emotion) and
  ``siloday`` (resonates and answers, same or other department); the partial days at a
  period's edges ("7d" asked at 15:20 starts and ends at 15:20) are counted from the rows.
  A department's summary counts its own rows, from indexes that start with the department.
- Prompts come from their rows, each carrying its number of answers (``answer_count``).
- Answering members: one probe per member of the departments that were asked, on the
  (member, prompted_at) index.
- Most resonated: ``storyresonance`` (resonates per story).

Two parts read text and therefore sample (and memoise per-text results, so a repeated
summary analyses only texts it has not seen):

- **Themes** read the newest :data:`THEME_STORIES` stories and :data:`THEME_ANSWERS` answers of
  each period (``themes_sampled`` says when there were more). Theme counts are the number of
  sampled documents that contain the phrase.
- **Emotion** uses the captured emotion, counted in SQL. Stories without one get an emotion
  from VADER (see :mod:`stories.sentiment`); when more than :data:`EMOTION_SAMPLE` stories lack
  one, the newest of them are classified and their mix is scaled to the full number
  (``emotions_sampled``), so the totals still add up to the number of stories.

Definitions (each a ratio of counts; ``None`` when the denominator is 0, shown as "n/a"):

- **Prompts sent**: ``PromptDelivery`` rows of kind ``prompt`` with status ``sent`` whose
  ``sent_at`` (else ``occurrence_at``) lies in the period.
- **Response rate** of a department: prompts delivered to it in the period that received at
  least one answer / prompts delivered to it in the period. Answers are counted against the
  prompt's delivery time, however late they came, so the rate is between 0 and 1.
  ``answers`` alongside it is the raw number of answers to those prompts.
- **Participation** of a department: distinct members *of that department* (``Member.
  department_id``, as it is now) who answered any prompt delivered in the period / members of
  that department, i.e. the members the prompts reached. It is ``None`` when the department
  has no members or was sent no prompt in the period (nobody was reached). The overall figure
  pools the departments that were sent a prompt: their answering members / their members.
  Members without a department count in neither.
- **Departments that have not answered**: departments that were sent at least one prompt in
  the period and gave no answer to any of them. Departments that were sent nothing are not
  listed (they were never asked).
- **Silo index**: of the "resonates" engagement made in the period and the prompt answers
  written in the period that are about a story, the share given by a department other than
  the story's own (``Story.department_id``). A row counts only when both departments are
  known: engagement or answers by people without a department, or on stories whose department
  is unknown, are left out of numerator *and* denominator (they can be neither "same" nor
  "other"). ``overall`` pools both kinds of rows. Higher means more line of sight across the
  organisation.
- **Most resonated**: the stories captured in the period with the most "This resonates" so far
  (ties: lowest story id), each with how many came from other departments. A story is
  listed for the period it was captured in, so a historical period keeps its own list.

With a ``department_id`` filter the summary is about that department: stories it captured
(``Story.department_id``; also its most resonated ones), prompts delivered to it, answers and
engagement its members gave (so its silo index is the share of its attention that goes to
other departments' stories).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, case, exists, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from stories.errors import NotFoundError
from stories.models import (
    DeliveryStatus,
    Department,
    Emotion,
    Engagement,
    EngagementKind,
    Member,
    PromptAnswer,
    PromptDelivery,
    SiloDay,
    Story,
    StoryDay,
    StoryResonance,
    Workspace,
)
from stories.periods import Period
from stories.prompt_ledger import PROMPT_KINDS
from stories.sentiment import infer_emotion
from stories.themes import ThemeDocument, count_containing, extract_themes

SCHEMA_VERSION = 1
THEME_STORIES = 80
THEME_ANSWERS = 40
THEME_LIMIT = 8
EMOTION_SAMPLE = 500
EMOTION_CACHE = 4096  # memoised lexicon results (texts of stories without an emotion)
RESONATED_LIMIT = 5
TOUCHPOINT_LIMIT = 12  # touchpoints listed by name in the breakdown; the rest are "other"
NO_TOUCHPOINT = "(none)"
OTHER = "other"
SILO_RESONATES = "resonates"  # siloday.kind; the other kind is "answer"

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
    if value is None or previous is None:
        return Change(value=value, previous=previous, delta=None, direction="flat")
    delta = value - previous
    if isinstance(delta, float):
        delta = round(delta, 10)  # 0.3 - 0.1 - 0.2 is not quite 0
    direction: Direction = "up" if delta > 0 else "down" if delta < 0 else "flat"
    return Change(value=value, previous=previous, delta=delta, direction=direction)


def ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


@dataclass(frozen=True)
class Count:
    key: str
    change: Change


@dataclass(frozen=True)
class ThemeSummary:
    phrase: str
    count: Change
    example_story_id: int | None
    example_text: str


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


@dataclass(frozen=True)
class ResonatedStory:
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


# --- query helpers -------------------------------------------------------------------------


def _within(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _delivered_at() -> Any:
    return func.coalesce(col(PromptDelivery.sent_at), col(PromptDelivery.occurrence_at))


def _delivered(workspace_id: int, period: Period) -> list[ColumnElement[bool]]:
    return [
        col(PromptDelivery.workspace_id) == workspace_id,
        # A lead's "prompt now" is a prompt people answer like any other.
        col(PromptDelivery.kind).in_(PROMPT_KINDS),
        col(PromptDelivery.status) == DeliveryStatus.SENT,
        _within(_delivered_at(), period),
    ]


def _story_filter(workspace_id: int, period: Period | None, department_id: int | None) -> list[Any]:
    where: list[Any] = [col(Story.workspace_id) == workspace_id]
    if period is not None:
        where.append(_within(col(Story.created_at), period))
    if department_id is not None:
        where.append(col(Story.department_id) == department_id)
    return where


def _spanning(period: Period) -> Period:
    """The previous period and this one together: each figure reads both in one query."""
    return Period(start=period.previous().start, end=period.end)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class _Split:
    """Where a period's counts and its previous period's come from.

    Whole UTC days are read from the rollup tables (``days``: flag -> [first, last)); the
    partial days at the edges, e.g. the hours before "now" on the last day of "7d", are read
    row by row (``pieces``: (flag, range)). Flag 1 is this period, 0 the previous one.
    """

    days: dict[int, tuple[date, date]]
    pieces: tuple[tuple[int, Period], ...]

    @classmethod
    def rows_only(cls, period: Period) -> _Split:
        return cls(days={}, pieces=((0, period.previous()), (1, period)))

    @property
    def day_range(self) -> tuple[date, date] | None:
        if not self.days:
            return None
        return min(f for f, _ in self.days.values()), max(last for _, last in self.days.values())

    def flag(self, raw_day: Any) -> int | None:
        day = _as_date(raw_day)
        for flag, (first, last) in self.days.items():
            if first <= day < last:
                return flag
        return None  # the day the period starts on, when it starts during that day


def _whole_days(
    session: Session, split: _Split, table: Any, workspace_id: int, *keys: Any
) -> Iterator[tuple[int, date, tuple[Any, ...]]]:
    """(flag, day, (*keys, n)) for a rollup table's rows on the split's whole days."""
    if split.day_range is None:
        return
    first, last = split.day_range
    columns = [col(table.day), *(col(k) for k in keys), col(table.n)]
    rows = session.connection().execute(
        sa_select(*columns).where(
            col(table.workspace_id) == workspace_id,
            col(table.day) >= first,
            col(table.day) < last,
            col(table.n) != 0,
        )
    )
    for raw_day, *values in rows:
        flag = split.flag(raw_day)
        if flag is not None:
            yield flag, _as_date(raw_day), tuple(values)


def _split(period: Period) -> _Split:
    days: dict[int, tuple[date, date]] = {}
    pieces: list[tuple[int, Period]] = []
    for flag, part in ((0, period.previous()), (1, period)):
        starts_at_midnight = part.start == _midnight(part.start.date())
        first = part.start.date() + timedelta(days=0 if starts_at_midnight else 1)
        last = part.end.date()
        if first >= last:
            pieces.append((flag, part))
            continue
        days[flag] = (first, last)
        if part.start < _midnight(first):
            pieces.append((flag, Period(start=part.start, end=_midnight(first))))
        if _midnight(last) < part.end:
            pieces.append((flag, Period(start=_midnight(last), end=part.end)))
    return _Split(days=days, pieces=tuple(pieces))


def _count_by(keys: Sequence[Any], where: Sequence[Any]) -> Select[Any]:
    """Rows counted by ``keys``. The keys are labelled in a subquery, so GROUP BY names a
    column rather than repeating an expression with parameters (PostgreSQL would refuse it)."""
    rows = select(*(key.label(f"key{n}") for n, key in enumerate(keys))).where(*where).subquery()
    grouping = [rows.c[f"key{n}"] for n in range(len(keys))]
    return sa_select(*grouping, func.count()).group_by(*grouping)


def _grouped(session: Session, key: Any, where: Sequence[Any]) -> dict[Any, int]:
    rows = session.exec(select(key, func.count()).where(*where).group_by(key)).all()
    return {k: int(n) for k, n in rows}


# --- stories, touchpoints, emotions ------------------------------------------------------


def _counts(
    current: dict[str, int], previous: dict[str, int], limit: int | None
) -> tuple[Count, ...]:
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


@dataclass
class _StoryFigures:
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


def _as_date(value: Any) -> date:
    # PostgreSQL returns dates; SQLite returns the ISO text.
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _story_figures(
    session: Session, workspace_id: int, period: Period, department_id: int | None
) -> tuple[_StoryFigures, _StoryFigures]:
    """(this period, previous period): whole days from ``storyday``, the rest from rows.

    A department's figures read its own rows (one index range), as the rollup is kept for the
    whole workspace only.
    """
    split = _split(period) if department_id is None else _Split.rows_only(period)
    figures = {0: _StoryFigures(), 1: _StoryFigures()}
    for flag, day, (dimension, key, n) in _whole_days(
        session, split, StoryDay, workspace_id, StoryDay.dimension, StoryDay.key
    ):
        figures[flag].add(dimension, key, n, day)
    keys = [col(Story.source_kind), col(Story.touchpoint), col(Story.emotion), _day(session)]
    # One query per piece: a single index range each (SQLite cannot range-scan an OR).
    for flag, piece in split.pieces:
        where = _story_filter(workspace_id, piece, department_id)
        for source, touchpoint, emotion, raw_day, n in session.connection().execute(
            _count_by(keys, where)
        ):
            day = _as_date(raw_day)
            f = figures[flag]
            f.add("source", source, n, day)
            f.add("touchpoint", touchpoint, n, day)
            f.add("emotion", emotion, n, day)
    return figures[1], figures[0]


@lru_cache(maxsize=EMOTION_CACHE)
def _inferred_emotion(text: str) -> str:
    # VADER reads ~10,000 texts a second; a repeated summary samples mostly the same stories.
    return infer_emotion(text).value


def _emotions(
    session: Session, where: Sequence[Any], figures: _StoryFigures
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
    counts = dict(figures.emotions)
    for emotion, n in inferred.items():
        counts[emotion] = counts.get(emotion, 0) + n
    return counts, inferred, sampled


def _scale(sample: dict[str, int], total: int) -> dict[str, int]:
    """Scale a sampled mix to ``total`` with largest remainders, so the parts sum to ``total``."""
    size = sum(sample.values())
    exact = {k: v * total / size for k, v in sample.items()}
    scaled = {k: int(v) for k, v in exact.items()}
    short = total - sum(scaled.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - scaled[k]), k))[:short]:
        scaled[k] += 1
    return scaled


# --- prompts, answers and departments ----------------------------------------------------


@dataclass(frozen=True)
class _PromptFigures:
    delivered: dict[int | None, int]
    answered: dict[int | None, int]  # prompts with at least one answer
    answers: dict[int | None, int]
    answering: dict[int | None, int]  # distinct answering members, by the member's department


def _prompt_figures(
    session: Session, workspace_id: int, period: Period, departments: Sequence[int]
) -> tuple[_PromptFigures, _PromptFigures]:
    """(this period, previous period), read from the prompts of both and their members.

    Answers per prompt come from ``answer_count``; answering members are found per member of
    the departments that were sent a prompt, each probing the (member, prompted_at) index,
    so the cost follows the number of members, not of answers.
    """
    delivered = _delivered(workspace_id, _spanning(period))
    answer_count = col(PromptDelivery.answer_count)
    p = (
        select(
            case((_delivered_at() >= period.start, 1), else_=0).label("in_period"),
            col(PromptDelivery.department_id).label("department"),
            case((answer_count > 0, 1), else_=0).label("answered"),
            answer_count.label("answers"),
        )
        .where(*delivered)
        .subquery()
    )
    prompt_rows = session.connection().execute(
        sa_select(
            p.c.in_period,
            p.c.department,
            func.count(),
            func.sum(p.c.answered),
            func.sum(p.c.answers),
        ).group_by(p.c.in_period, p.c.department)
    )
    figures = {flag: _PromptFigures({}, {}, {}, {}) for flag in (0, 1)}
    for flag, department, prompt_count, answered, answers in prompt_rows:
        figures[flag].delivered[department] = int(prompt_count)
        figures[flag].answered[department] = int(answered)
        figures[flag].answers[department] = int(answers)
    reached = [d for d in departments if figures[0].delivered.get(d) or figures[1].delivered.get(d)]
    if reached:

        def answered_in(part: Period) -> Any:
            # Answers are stored only for sent prompts, so prompted_at is a delivery time.
            answered = exists().where(
                col(PromptAnswer.member_id) == col(Member.id),
                _within(col(PromptAnswer.prompted_at), part),
            )
            return func.sum(case((answered, 1), else_=0))

        member_department = col(Member.department_id)
        answering_rows = session.exec(
            select(member_department, answered_in(period), answered_in(period.previous()))
            .where(col(Member.workspace_id) == workspace_id, member_department.in_(reached))
            .group_by(member_department)
        )
        for department, now, before in answering_rows:
            figures[1].answering[department] = int(now or 0)
            figures[0].answering[department] = int(before or 0)
    return figures[1], figures[0]


def _participation(answering: int, members: int, delivered: int) -> float | None:
    return ratio(answering, members) if delivered else None


def _department_summaries(
    departments: Sequence[Department],
    members: dict[Any, int],
    now: _PromptFigures,
    before: _PromptFigures,
) -> tuple[DepartmentSummary, ...]:
    out = []
    for department in departments:
        d = department.id
        size = members.get(d, 0)

        def figure(figures: _PromptFigures, name: str, d: int | None = d) -> int:
            value: dict[int | None, int] = getattr(figures, name)
            return value.get(d, 0)

        out.append(
            DepartmentSummary(
                department_id=d or 0,
                name=department.name,
                members=size,
                prompts_delivered=compare(figure(now, "delivered"), figure(before, "delivered")),
                prompts_answered=compare(figure(now, "answered"), figure(before, "answered")),
                answers=compare(figure(now, "answers"), figure(before, "answers")),
                answering_members=compare(figure(now, "answering"), figure(before, "answering")),
                response_rate=compare(
                    ratio(figure(now, "answered"), figure(now, "delivered")),
                    ratio(figure(before, "answered"), figure(before, "delivered")),
                ),
                participation=compare(
                    _participation(figure(now, "answering"), size, figure(now, "delivered")),
                    _participation(figure(before, "answering"), size, figure(before, "delivered")),
                ),
            )
        )
    return tuple(out)


# --- engagement ----------------------------------------------------------------------------


SiloCounts = tuple[int, int, int, int]  # resonates, from other departments, answers, from other


def _silo_rows(
    session: Session, workspace_id: int, moment_in: Any, department_id: int | None
) -> SiloCounts:
    """Counted from the rows: resonates and story answers whose time passes ``moment_in``.

    Each row carries its story's department (``story_department_id``, kept by the database),
    so no story is read.
    """
    counts: list[int] = []
    tables: list[tuple[Any, list[Any]]] = [
        (Engagement, [col(Engagement.kind) == EngagementKind.RESONATES]),
        (PromptAnswer, [col(PromptAnswer.story_id).is_not(None)]),
    ]
    for table, where in tables:
        giver, story_department = col(table.department_id), col(table.story_department_id)
        where += [
            col(table.workspace_id) == workspace_id,
            moment_in(table.created_at),
            giver.is_not(None),
            story_department.is_not(None),
        ]
        if department_id is not None:
            where.append(giver == department_id)
        other = func.coalesce(func.sum(case((giver != story_department, 1), else_=0)), 0)
        rows, cross = session.exec(select(func.count(), other).where(*where)).one()
        counts += [int(rows), int(cross)]
    return counts[0], counts[1], counts[2], counts[3]


def _silo_counts(
    session: Session, workspace_id: int, period: Period, department_id: int | None
) -> tuple[SiloCounts, SiloCounts]:
    """(this period, previous period): whole days from ``siloday``, the rest from rows.

    A department's counts read its own rows, as the rollup is kept for the whole workspace.
    """
    split = _split(period) if department_id is None else _Split.rows_only(period)
    counts = {0: [0, 0, 0, 0], 1: [0, 0, 0, 0]}
    for flag, _, (kind, other, n) in _whole_days(
        session, split, SiloDay, workspace_id, SiloDay.kind, SiloDay.other_department
    ):
        at = 0 if kind == SILO_RESONATES else 2
        counts[flag][at] += n
        counts[flag][at + 1] += n if other else 0
    for flag, piece in split.pieces:  # one index range each
        raw = _silo_rows(
            session, workspace_id, lambda column, p=piece: _within(col(column), p), department_id
        )
        counts[flag] = [a + b for a, b in zip(counts[flag], raw, strict=True)]
    now, before = counts[1], counts[0]
    return (now[0], now[1], now[2], now[3]), (before[0], before[1], before[2], before[3])


def _silo(now: SiloCounts, before: SiloCounts) -> SiloIndex:
    def shares(c: SiloCounts) -> tuple[float | None, float | None, float | None]:
        engaged, engaged_cross, answered, answered_cross = c
        return (
            ratio(engaged_cross, engaged),
            ratio(answered_cross, answered),
            ratio(engaged_cross + answered_cross, engaged + answered),
        )

    current, previous = shares(now), shares(before)
    return SiloIndex(
        engagement=compare(current[0], previous[0]),
        answers=compare(current[1], previous[1]),
        overall=compare(current[2], previous[2]),
        engagement_rows=now[0],
        answer_rows=now[2],
    )


def _resonated_rows(
    session: Session, workspace_id: int, period: Period, department_id: int | None
) -> Sequence[tuple[int, int, int]]:
    """(story id, resonates, from other departments) of the most resonated stories captured
    in the period, by every "This resonates" they have had so far (``storyresonance``)."""
    ranked = [
        col(StoryResonance.workspace_id) == workspace_id,
        _within(col(StoryResonance.created_at), period),
        col(StoryResonance.resonates) > 0,
    ]
    query = select(StoryResonance.story_id, StoryResonance.resonates, StoryResonance.from_other)
    if department_id is not None:
        # From the department's own stories (one index range), not from the whole period's.
        own = select(Story.id).where(*_story_filter(workspace_id, period, department_id))
        query = query.where(col(StoryResonance.story_id).in_(own))
    return session.exec(
        query.where(*ranked)
        .order_by(col(StoryResonance.resonates).desc(), col(StoryResonance.story_id))
        .limit(RESONATED_LIMIT)
    ).all()


def _most_resonated(
    session: Session,
    workspace_id: int,
    period: Period,
    department_id: int | None,
    names: dict[int, str],
) -> tuple[ResonatedStory, ...]:
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


# --- weekly series -------------------------------------------------------------------------


def _day(session: Session) -> Any:
    created = col(Story.created_at)
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", created))
    return func.date(created)  # SQLite keeps naive UTC text, so date() is already the UTC day


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weekly(period: Period, figures: _StoryFigures) -> WeeklySeries:
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


# --- themes --------------------------------------------------------------------------------


def _theme_documents(
    session: Session, workspace_id: int, period: Period, department_id: int | None
) -> tuple[list[ThemeDocument], bool]:
    where = _story_filter(workspace_id, period, department_id)
    stories = session.exec(
        select(Story.id, Story.text)
        .where(*where)
        .order_by(col(Story.created_at).desc(), col(Story.id).desc())
        .limit(THEME_STORIES + 1)
    ).all()
    answer_where: list[Any] = [
        col(PromptAnswer.workspace_id) == workspace_id,
        _within(col(PromptAnswer.created_at), period),
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


def _themes(
    session: Session, workspace_id: int, period: Period, department_id: int | None
) -> tuple[tuple[ThemeSummary, ...], bool]:
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


# --- the summary ---------------------------------------------------------------------------


def build_summary(
    *,
    session: Session,
    workspace_id: int,
    period: Period,
    department_id: int | None = None,
    now: datetime,
) -> Summary:
    """Compute the summary for ``period`` (and its previous period) in one workspace."""
    if session.get_bind().dialect.name == "postgresql":
        # Large tables give the planner costs above jit_above_cost, but every statement here
        # reads a few thousand index entries: compiling them costs more (~100 ms) than it saves.
        session.connection().exec_driver_sql("SET LOCAL jit = off")
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFoundError(kind="workspace", key=workspace_id)
    all_departments = list(
        session.exec(
            select(Department)
            .where(col(Department.workspace_id) == workspace_id)
            .order_by(col(Department.name_key))
        )
    )
    names = {d.id: d.name for d in all_departments if d.id is not None}
    selected = all_departments
    scope: DepartmentRef | None = None
    if department_id is not None:
        selected = [d for d in all_departments if d.id == department_id]
        if not selected:
            raise NotFoundError(kind="department", key=department_id)
        scope = DepartmentRef(department_id=department_id, name=names[department_id])
    previous = period.previous()

    where_now = _story_filter(workspace_id, period, department_id)
    where_before = _story_filter(workspace_id, previous, department_id)
    stories_now, stories_before = _story_figures(session, workspace_id, period, department_id)
    total_now, total_before = stories_now.total, stories_before.total
    emotions_now, inferred_now, sampled_now = _emotions(session, where_now, stories_now)
    emotions_before, _, sampled_before = _emotions(session, where_before, stories_before)
    emotion_keys = [
        e.value for e in Emotion if e.value in emotions_now or e.value in emotions_before
    ]
    emotions = tuple(
        EmotionShare(
            emotion=e,
            count=compare(emotions_now.get(e, 0), emotions_before.get(e, 0)),
            share=ratio(emotions_now.get(e, 0), total_now),
            inferred=inferred_now.get(e, 0),
        )
        for e in emotion_keys
    )

    members = _grouped(
        session, col(Member.department_id), [col(Member.workspace_id) == workspace_id]
    )
    prompts_now, prompts_before = _prompt_figures(
        session, workspace_id, period, [d.id for d in selected if d.id is not None]
    )
    departments = _department_summaries(selected, members, prompts_now, prompts_before)
    silent = tuple(
        d.name
        for d in departments
        if (d.prompts_delivered.value or 0) > 0 and not d.prompts_answered.value
    )

    def overall(figures: _PromptFigures, name: str) -> int:
        values: dict[int | None, int] = getattr(figures, name)
        if department_id is not None:
            return values.get(department_id, 0)
        return sum(values.values())

    def participation(figures: _PromptFigures) -> float | None:
        reached = [d.id for d in selected if figures.delivered.get(d.id, 0)]
        return ratio(
            sum(figures.answering.get(d, 0) for d in reached),
            sum(members.get(d, 0) for d in reached),
        )

    themes, themes_sampled = _themes(session, workspace_id, period, department_id)

    return Summary(
        workspace_id=workspace_id,
        workspace_name=workspace.name,
        department=scope,
        period=period,
        previous=previous,
        generated_at=now,
        stories=compare(total_now, total_before),
        by_source=_counts(stories_now.sources, stories_before.sources, None),
        by_touchpoint=_counts(
            stories_now.touchpoints, stories_before.touchpoints, TOUCHPOINT_LIMIT
        ),
        themes=themes,
        themes_sampled=themes_sampled,
        emotions=emotions,
        emotions_inferred=sum(inferred_now.values()),
        emotions_sampled=sampled_now or sampled_before,
        prompts_sent=compare(
            overall(prompts_now, "delivered"), overall(prompts_before, "delivered")
        ),
        answers=compare(overall(prompts_now, "answers"), overall(prompts_before, "answers")),
        response_rate=compare(
            ratio(overall(prompts_now, "answered"), overall(prompts_now, "delivered")),
            ratio(overall(prompts_before, "answered"), overall(prompts_before, "delivered")),
        ),
        participation=compare(participation(prompts_now), participation(prompts_before)),
        departments=departments,
        silent_departments=silent,
        most_resonated=_most_resonated(session, workspace_id, period, department_id, names),
        silo=_silo(*_silo_counts(session, workspace_id, period, department_id)),
        weekly=_weekly(period, stories_now),
    )


# --- neutral renderings --------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, Period):
        return {"start": _plain(value.start), "end": _plain(value.end), "label": value.label}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def summary_payload(summary: Summary) -> dict[str, Any]:
    """JSON-ready dict with a stable schema (``{"schema": 1, ...}``); floats to 4 places."""
    body: dict[str, Any] = _plain(summary)
    return {"schema": SCHEMA_VERSION, **body}


def format_change(change: Change, *, percent: bool = False) -> str:
    """ "12 (up 3 from 9)", "40% (down 10 pts from 50%)", "n/a"."""

    def show(v: Number | None) -> str:
        if v is None:
            return "n/a"
        if percent:
            return f"{v * 100:.0f}%"
        return f"{v:,}" if isinstance(v, int) else f"{v:,.2f}"

    if change.value is None and change.previous is None:
        return "n/a"
    if change.delta is None:
        return f"{show(change.value)} (previously {show(change.previous)})"
    if change.direction == "flat":
        return f"{show(change.value)} (no change)"
    step = f"{abs(change.delta) * 100:.0f} pts" if percent else show(abs(change.delta))
    return f"{show(change.value)} ({change.direction} {step} from {show(change.previous)})"


def _excerpt(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def render_summary_text(summary: Summary) -> str:
    """The summary as Markdown-ish plain text (CLI, e-mail, logs)."""
    scope = f" — {summary.department.name}" if summary.department else ""
    lines = [
        f"# Summary for {summary.workspace_name}{scope}",
        f"{summary.period.label or 'period'}: {summary.period.start:%Y-%m-%d} to "
        f"{summary.period.end:%Y-%m-%d %H:%M} UTC, compared with the previous period "
        f"({summary.previous.start:%Y-%m-%d} to {summary.previous.end:%Y-%m-%d %H:%M}).",
        "",
        f"- Stories captured: {format_change(summary.stories)}",
        f"- Prompts sent: {format_change(summary.prompts_sent)}",
        f"- Answers: {format_change(summary.answers)}",
        f"- Response rate: {format_change(summary.response_rate, percent=True)}",
        f"- Participation: {format_change(summary.participation, percent=True)}",
        f"- Silo index: {format_change(summary.silo.overall, percent=True)}"
        f" (engagement {format_change(summary.silo.engagement, percent=True)};"
        f" answers {format_change(summary.silo.answers, percent=True)})",
    ]
    if summary.by_source:
        lines += ["", "## By source"]
        lines += [f"- {c.key}: {format_change(c.change)}" for c in summary.by_source]
    if summary.by_touchpoint:
        lines += ["", "## By touchpoint"]
        lines += [f"- {c.key}: {format_change(c.change)}" for c in summary.by_touchpoint]
    lines += ["", "## Top themes" + (" (sampled)" if summary.themes_sampled else "")]
    if summary.themes:
        for t in summary.themes:
            example = f"story {t.example_story_id}: " if t.example_story_id else ""
            quote = _excerpt(t.example_text)
            lines.append(f'- {t.phrase}: {format_change(t.count)} — e.g. {example}"{quote}"')
    else:
        lines.append("- none yet (themes need a phrase in at least two stories or answers)")
    if summary.emotions:
        inferred = (
            f" ({summary.emotions_inferred} inferred from the text)"
            if summary.emotions_inferred
            else ""
        )
        lines += ["", f"## Emotion mix{inferred}"]
        for e in summary.emotions:
            share = "n/a" if e.share is None else f"{e.share * 100:.0f}%"
            lines.append(f"- {e.emotion}: {share}, {format_change(e.count)}")
    if summary.departments:
        lines += ["", "## Departments"]
        for d in summary.departments:
            people = f"{d.members} member{'' if d.members == 1 else 's'}"
            lines.append(
                f"- {d.name} ({people}): prompts {format_change(d.prompts_delivered)}; "
                f"response rate {format_change(d.response_rate, percent=True)}; "
                f"participation {format_change(d.participation, percent=True)}"
            )
    lines += ["", "## Not answering"]
    lines += [f"- {name}" for name in summary.silent_departments] or [
        "- every department that was asked has answered"
    ]
    if summary.most_resonated:
        lines += ["", "## Most resonated stories"]
        for s in summary.most_resonated:
            lines.append(
                f"- story {s.story_id} ({s.resonates} resonates, {s.from_other_departments} from "
                f'other departments): "{_excerpt(s.text)}"'
            )
    return "\n".join(lines) + "\n"
