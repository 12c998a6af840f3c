"""The overview page's view model: the summary's headline figures (the very code behind chat
summaries and ``sightline summary --json``), line-of-sight coverage, and weekly trends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from stories.dashboard.coverage import Coverage, line_of_sight_coverage
from stories.dashboard.svg import Bars, bar_chart
from stories.models import SiloDay
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


def _across_by_week(session: Session, summary: Summary) -> tuple[int, ...]:
    """Resonates and answers given to another department's stories, per week of the summary
    (whole days from the silo rollup the summary itself reads)."""
    period = summary.period
    rows = session.execute(
        select(col(SiloDay.day), func.sum(col(SiloDay.n)))
        .where(
            col(SiloDay.workspace_id) == summary.workspace_id,
            col(SiloDay.other_department).is_(True),
            col(SiloDay.day) >= period.start.date(),
            col(SiloDay.day) < period.end.date() + timedelta(days=1),
        )
        .group_by(col(SiloDay.day))
    ).all()
    starts = summary.weekly.week_starts
    counts = [0] * len(starts)
    for day, n in rows:
        for index in range(len(starts) - 1, -1, -1):
            if day >= starts[index]:
                counts[index] += int(n or 0)
                break
    return tuple(counts)


def _charts(session: Session, summary: Summary) -> tuple[Chart, ...]:
    weekly = summary.weekly
    keep = slice(max(0, len(weekly.weeks) - MAX_TREND_WEEKS), None)
    weeks = weekly.weeks[keep]
    labels = tuple(week.split("-")[-1] for week in weeks)
    stories = tuple(
        sum(series.counts[index] for series in weekly.series) for index in range(len(weekly.weeks))
    )[keep]
    across = _across_by_week(session, summary)[keep]
    charts = []
    for key, title, values in (
        ("stories", "Stories captured per week", stories),
        ("across", "Resonates and answers across departments, per week", across),
    ):
        bars = Bars(title=title, labels=labels, values=tuple(float(v) for v in values))
        rows = tuple((week, f"{v:,}") for week, v in zip(weeks, values, strict=True))
        charts.append(Chart(title=title, svg=bar_chart(bars, chart_id=f"chart-{key}"), rows=rows))
    return tuple(charts)


def summary_and_trends(
    *, session: Session, workspace_id: int, period: Period, now: datetime
) -> tuple[Summary, tuple[Chart, ...]]:
    """The summary (as :func:`build_summary` makes it everywhere, less the themes and most
    resonated stories this page does not show) and the weekly charts."""
    summary = build_summary(
        session=session, workspace_id=workspace_id, period=period, now=now, texts=False
    )
    return summary, _charts(session, summary)


def overview_of(summary: Summary, charts: tuple[Chart, ...], coverage: Coverage) -> Overview:
    """The page's view from its two independent parts (a caller may read them in parallel)."""
    view = summary_view(summary, full=True)
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
        charts=charts,
    )


def build_overview(
    *, session: Session, workspace_id: int, period: Period, now: datetime
) -> Overview:
    """Everything the overview shows for ``period`` in one workspace, read in one session.

    Args:
        session: an open session (only reads).
        workspace_id: the signed-in lead's workspace.
        period: the period, compared with the previous one of equal length.
        now: the clock's time (as for :func:`build_summary`).
    """
    summary, charts = summary_and_trends(
        session=session, workspace_id=workspace_id, period=period, now=now
    )
    coverage = line_of_sight_coverage(session=session, workspace_id=workspace_id, period=period)
    return overview_of(summary, charts, coverage)
