"""``build_summary``: every figure of one period and its previous period, in one object."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from stories.anonymous_answers import PREFIX as PSEUDONYM_PREFIX
from stories.errors import NotFoundError
from stories.models import Department, Emotion, Member, Workspace
from stories.periods import Period
from stories.summaries.harvest_figures import with_harvest_rates
from stories.summaries.model import (
    Change,
    DepartmentRef,
    DepartmentSummary,
    EmotionShare,
    ResonatedStory,
    Summary,
    ThemeSummary,
    compare,
    ratio,
)
from stories.summaries.prompt_figures import PromptFigures, department_summaries, prompt_figures
from stories.summaries.query import grouped, story_filter
from stories.summaries.quoted import most_resonated, themes
from stories.summaries.silo import silo_counts, silo_index
from stories.summaries.story_figures import (
    TOUCHPOINT_LIMIT,
    StoryFigures,
    counts,
    emotions,
    story_figures,
    weekly,
)
from stories.workspace_settings import display_name


@dataclass(frozen=True)
class _Scope:
    """The workspace, the departments a summary covers, every department's name and size."""

    workspace: Workspace
    selected: list[Department]
    names: dict[int, str]
    members: dict[int | None, int]  # by department
    department: DepartmentRef | None

    @property
    def ids(self) -> list[int]:
        return [d.id for d in self.selected if d.id is not None]


def _scope(session: Session, workspace_id: int, department_id: int | None) -> _Scope:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFoundError(kind="workspace", key=workspace_id)
    every = list(
        session.exec(
            select(Department)
            .where(col(Department.workspace_id) == workspace_id)
            .order_by(col(Department.name_key))
        )
    )
    names = {d.id: d.name for d in every if d.id is not None}
    members = grouped(
        session,
        col(Member.department_id),
        [
            col(Member.workspace_id) == workspace_id,
            # An anonymous department's pseudonyms answer for people already counted.
            ~col(Member.platform_user_id).startswith(PSEUDONYM_PREFIX),
        ],
    )
    if department_id is None:
        return _Scope(workspace, every, names, members, None)
    selected = [d for d in every if d.id == department_id]
    if not selected:
        raise NotFoundError(kind="department", key=department_id)
    ref = DepartmentRef(department_id, names[department_id])
    return _Scope(workspace, selected, names, members, ref)


def _emotion_shares(
    session: Session,
    workspace_id: int,
    period: Period,
    department_id: int | None,
    figures: tuple[StoryFigures, StoryFigures],
) -> tuple[tuple[EmotionShare, ...], int, bool]:
    """(shares of this period's stories per emotion, how many were inferred, sampled?)."""
    now, before = figures
    where_now = story_filter(workspace_id, period, department_id)
    where_before = story_filter(workspace_id, period.previous(), department_id)
    emotions_now, inferred_now, sampled_now = emotions(session, where_now, now)
    emotions_before, _, sampled_before = emotions(session, where_before, before)
    keys = [e.value for e in Emotion if e.value in emotions_now or e.value in emotions_before]
    shares = tuple(
        EmotionShare(
            emotion=e,
            count=compare(emotions_now.get(e, 0), emotions_before.get(e, 0)),
            share=ratio(emotions_now.get(e, 0), now.total),
            inferred=inferred_now.get(e, 0),
        )
        for e in keys
    )
    return shares, sum(inferred_now.values()), sampled_now or sampled_before


@dataclass(frozen=True)
class _PromptTotals:
    """The prompt figures over the departments a summary covers."""

    prompts_sent: Change
    answers: Change
    response_rate: Change
    participation: Change


def _prompt_totals(
    scope: _Scope, now: PromptFigures, before: PromptFigures, department_id: int | None
) -> _PromptTotals:
    def overall(figures: PromptFigures, name: str) -> int:
        values: dict[int | None, int] = getattr(figures, name)
        if department_id is not None:
            return values.get(department_id, 0)
        return sum(values.values())

    def participation(figures: PromptFigures) -> float | None:
        reached = [d for d in scope.ids if figures.delivered.get(d, 0)]
        return ratio(
            sum(figures.answering.get(d, 0) for d in reached),
            sum(scope.members.get(d, 0) for d in reached),
        )

    def rate(figures: PromptFigures) -> float | None:
        return ratio(overall(figures, "answered"), overall(figures, "delivered"))

    return _PromptTotals(
        prompts_sent=compare(overall(now, "delivered"), overall(before, "delivered")),
        answers=compare(overall(now, "answers"), overall(before, "answers")),
        response_rate=compare(rate(now), rate(before)),
        participation=compare(participation(now), participation(before)),
    )


def _silent(departments: Sequence[DepartmentSummary]) -> tuple[str, ...]:
    """Departments that were sent a prompt and answered none."""
    return tuple(
        d.name
        for d in departments
        if (d.prompts_delivered.value or 0) > 0 and not d.prompts_answered.value
    )


def _no_jit(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Large tables give the planner costs above jit_above_cost, but every statement here
        # reads a few thousand index entries: compiling them costs more (~100 ms) than it saves.
        session.connection().exec_driver_sql("SET LOCAL jit = off")


def _quoted(
    session: Session, workspace_id: int, period: Period, scope: _Scope, wanted: bool
) -> tuple[tuple[ThemeSummary, ...], bool, tuple[ResonatedStory, ...]]:
    """Themes (and whether they sampled) and the most resonated stories: the parts that read
    texts, left out when not ``wanted``."""
    if not wanted:
        return (), False, ()
    department_id = scope.department.department_id if scope.department else None
    found, sampled = themes(session, workspace_id, period, department_id)
    return found, sampled, most_resonated(session, workspace_id, period, department_id, scope.names)


def build_summary(
    *,
    session: Session,
    workspace_id: int,
    period: Period,
    department_id: int | None = None,
    now: datetime,
    texts: bool = True,
) -> Summary:
    """Compute the summary for ``period`` (and its previous period) in one workspace.

    Args:
        session / workspace_id: an open session (the summary only reads), the workspace.
        period: this period; the previous one is the same length just before it.
        department_id: only this department's stories, prompts and engagement.
        now: when the summary is made (``generated_at``).
        texts: False leaves out themes and the most resonated stories (a page showing neither).

    Returns:
        The summary, every figure compared with the previous period.

    Raises:
        NotFoundError: no such workspace, or no such department in it.
    """
    _no_jit(session)
    scope = _scope(session, workspace_id, department_id)
    stories_now, stories_before = story_figures(session, workspace_id, period, department_id)
    shares, inferred, emotions_sampled = _emotion_shares(
        session, workspace_id, period, department_id, (stories_now, stories_before)
    )
    prompts_now, prompts_before = prompt_figures(session, workspace_id, period, scope.ids)
    departments = department_summaries(scope.selected, scope.members, prompts_now, prompts_before)
    departments = with_harvest_rates(session, workspace_id, period, departments)
    totals = _prompt_totals(scope, prompts_now, prompts_before, department_id)
    found, themes_sampled, resonated = _quoted(session, workspace_id, period, scope, texts)
    return Summary(
        workspace_id=workspace_id,
        workspace_name=display_name(scope.workspace),
        department=scope.department,
        period=period,
        previous=period.previous(),
        generated_at=now,
        stories=compare(stories_now.total, stories_before.total),
        by_source=counts(stories_now.sources, stories_before.sources, None),
        by_touchpoint=counts(stories_now.touchpoints, stories_before.touchpoints, TOUCHPOINT_LIMIT),
        themes=found,
        themes_sampled=themes_sampled,
        emotions=shares,
        emotions_inferred=inferred,
        emotions_sampled=emotions_sampled,
        prompts_sent=totals.prompts_sent,
        answers=totals.answers,
        response_rate=totals.response_rate,
        participation=totals.participation,
        departments=departments,
        silent_departments=_silent(departments),
        most_resonated=resonated,
        silo=silo_index(*silo_counts(session, workspace_id, period, department_id)),
        weekly=weekly(period, stories_now),
    )
