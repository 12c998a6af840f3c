"""The overview page's view model: the summary's headline figures (the very code behind chat
summaries and ``sightline summary --json``), line-of-sight coverage, and weekly trends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session

from stories.dashboard.coverage import Coverage, line_of_sight_coverage, reached_members
from stories.dashboard.svg import Bars, bar_chart
from stories.periods import Period
from stories.summaries import Summary, build_summary
from stories.summaries.model import Change
from stories.summaries.view import Figure, figure, summary_view

MAX_TREND_WEEKS = 27  # a custom range longer than half a year shows its last 27 weeks


@dataclass(frozen=True)
class Tile:
    """A headline figure: ``key`` names it as ``sightline summary --json`` does."""

    key: str
    label: str
    figure: Figure
    value: int | float | None  # as in the JSON (floats to 4 places)


@dataclass(frozen=True)
class CoverageRow:
    name: str
    members: int
    reached: Figure
    coverage: Figure


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str
    rows: tuple[tuple[str, str], ...]  # the same numbers as a table: (week, value)


@dataclass(frozen=True)
class Overview:
    period: Period
    period_text: str
    empty: str | None
    tiles: tuple[Tile, ...]
    coverage: Tile
    coverage_rows: tuple[CoverageRow, ...]
    charts: tuple[Chart, ...]


def _tile(key: str, label: str, change: Change, *, percent: bool = False) -> Tile:
    value = change.value
    raw = round(value, 4) if isinstance(value, float) else value
    return Tile(key=key, label=label, figure=figure(change, percent=percent), value=raw)


def tiles_of(summary: Summary) -> tuple[Tile, ...]:
    """The summary's headline, in the order and words of every other surface."""
    return (
        _tile("stories", "Stories captured", summary.stories),
        _tile("prompts_sent", "Prompts sent", summary.prompts_sent),
        _tile("answers", "Answers", summary.answers),
        _tile("response_rate", "Response rate", summary.response_rate, percent=True),
        _tile("participation", "Participation", summary.participation, percent=True),
        _tile("silo.overall", "Silo index", summary.silo.overall, percent=True),
    )


def _weeks(summary: Summary) -> list[tuple[str, datetime, datetime]]:
    period = summary.period
    weeks = []
    for label, first in zip(summary.weekly.weeks, summary.weekly.week_starts, strict=True):
        start = max(datetime.combine(first, time(0), tzinfo=UTC), period.start)
        end = min(datetime.combine(first, time(0), tzinfo=UTC) + timedelta(days=7), period.end)
        weeks.append((label, start, end))
    return weeks[-MAX_TREND_WEEKS:]


def _charts(session: Session, summary: Summary) -> tuple[Chart, ...]:
    weeks = _weeks(summary)
    labels = tuple(label.split("-")[-1] for label, _, _ in weeks)
    offset = len(summary.weekly.weeks) - len(weeks)
    stories = tuple(
        sum(series.counts[offset + index] for series in summary.weekly.series)
        for index in range(len(weeks))
    )
    reached = tuple(
        reached_members(session=session, workspace_id=summary.workspace_id, start=start, end=end)
        for _, start, end in weeks
    )
    charts = []
    for key, title, values in (
        ("stories", "Stories captured per week", stories),
        ("reached", "People outside customer-facing teams who reacted, per week", reached),
    ):
        bars = Bars(title=title, labels=labels, values=tuple(float(v) for v in values))
        rows = tuple((label, f"{v:,}") for (label, _, _), v in zip(weeks, values, strict=True))
        charts.append(Chart(title=title, svg=bar_chart(bars, chart_id=f"chart-{key}"), rows=rows))
    return tuple(charts)


def build_overview(
    *, session: Session, workspace_id: int, period: Period, now: datetime
) -> Overview:
    """Everything the overview shows for ``period`` in one workspace.

    Args:
        session: an open session (only reads).
        workspace_id: the signed-in lead's workspace.
        period: the period, compared with the previous one of equal length.
        now: the clock's time (as for :func:`build_summary`).
    """
    summary = build_summary(session=session, workspace_id=workspace_id, period=period, now=now)
    view = summary_view(summary, full=True)
    coverage: Coverage = line_of_sight_coverage(
        session=session, workspace_id=workspace_id, period=period
    )
    rows = tuple(
        CoverageRow(
            name=d.name,
            members=d.members,
            reached=figure(d.reached),
            coverage=figure(d.coverage, percent=True),
        )
        for d in coverage.departments
    )
    return Overview(
        period=summary.period,
        period_text=view.period,
        empty=view.empty,
        tiles=tiles_of(summary),
        coverage=_tile("coverage", "Line-of-sight coverage", coverage.overall, percent=True),
        coverage_rows=rows,
        charts=_charts(session, summary),
    )
