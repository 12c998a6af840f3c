"""`sightline summary`: the CX lead summary as tables, Markdown, JSON or a PNG chart."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.cli.context import STATE, console, print_json, workspace_for
from stories.chart import render_chart
from stories.departments import get_department
from stories.periods import DEFAULT_PERIOD, parse_period
from stories.summaries import (
    Change,
    Summary,
    build_summary,
    render_summary_text,
    summary_payload,
)


def _arrow(change: Change, *, percent: bool = False) -> str:
    if change.delta is None:
        return "n/a"
    if change.direction == "flat":
        return "="
    size = f"{abs(change.delta) * 100:.0f} pts" if percent else f"{abs(change.delta):,}"
    return f"{'▲' if change.direction == 'up' else '▼'} {size}"


def _value(value: int | float | None, *, percent: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value * 100:.0f}%" if percent else f"{value:,}"


def _metric_row(table: Table, name: str, change: Change, *, percent: bool = False) -> None:
    table.add_row(
        name,
        _value(change.value, percent=percent),
        _value(change.previous, percent=percent),
        _arrow(change, percent=percent),
    )


def _excerpt(text: str, limit: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _print_tables(summary: Summary) -> None:
    scope = f" — {summary.department.name}" if summary.department else ""
    console.print(
        f"[bold]{summary.workspace_name}{scope}[/bold]: {summary.period.label} "
        f"({summary.period.start:%Y-%m-%d} to {summary.period.end:%Y-%m-%d %H:%M} UTC), "
        f"compared with {summary.previous.start:%Y-%m-%d} to {summary.previous.end:%Y-%m-%d}."
    )
    headline = Table(title="Headline figures")
    for column in ("metric", "this period", "previous", "change"):
        headline.add_column(column, justify="left" if column == "metric" else "right")
    _metric_row(headline, "stories captured", summary.stories)
    for count in summary.by_source:
        _metric_row(headline, f"  from {count.key}", count.change)
    _metric_row(headline, "prompts sent", summary.prompts_sent)
    _metric_row(headline, "answers", summary.answers)
    _metric_row(headline, "response rate", summary.response_rate, percent=True)
    _metric_row(headline, "participation", summary.participation, percent=True)
    _metric_row(headline, "silo index", summary.silo.overall, percent=True)
    _metric_row(headline, "  from engagement", summary.silo.engagement, percent=True)
    _metric_row(headline, "  from answers", summary.silo.answers, percent=True)
    console.print(headline)

    if summary.by_touchpoint:
        touchpoints = Table(title="Stories by touchpoint")
        for column in ("touchpoint", "this period", "previous", "change"):
            touchpoints.add_column(column, justify="left" if column == "touchpoint" else "right")
        for count in summary.by_touchpoint:
            _metric_row(touchpoints, count.key, count.change)
        console.print(touchpoints)

    sampled = " (sampled)" if summary.themes_sampled else ""
    themes = Table(title=f"Top themes{sampled}")
    for column in ("theme", "stories", "change", "example"):
        themes.add_column(column, overflow="fold")
    for theme in summary.themes:
        example = f"#{theme.example_story_id} " if theme.example_story_id else ""
        themes.add_row(
            theme.phrase,
            _value(theme.count.value),
            _arrow(theme.count),
            example + _excerpt(theme.example_text),
        )
    if summary.themes:
        console.print(themes)
    else:
        console.print("No recurring themes yet.")

    if summary.emotions:
        emotions = Table(title="Emotion mix")
        for column in ("emotion", "share", "stories", "change", "inferred"):
            emotions.add_column(column, justify="left" if column == "emotion" else "right")
        for share in summary.emotions:
            emotions.add_row(
                share.emotion,
                _value(share.share, percent=True),
                _value(share.count.value),
                _arrow(share.count),
                str(share.inferred),
            )
        console.print(emotions)

    if summary.departments:
        departments = Table(title="Departments")
        for column in ("department", "members", "prompts", "answers", "response", "participation"):
            departments.add_column(column, justify="left" if column == "department" else "right")
        for d in summary.departments:
            departments.add_row(
                d.name,
                str(d.members),
                _value(d.prompts_delivered.value),
                _value(d.answers.value),
                f"{_value(d.response_rate.value, percent=True)} "
                f"({_arrow(d.response_rate, percent=True)})",
                f"{_value(d.participation.value, percent=True)} "
                f"({_arrow(d.participation, percent=True)})",
            )
        console.print(departments)
    if summary.silent_departments:
        console.print("Not answering: " + ", ".join(summary.silent_departments))

    if summary.most_resonated:
        resonated = Table(title="Most resonated stories")
        for column in ("story", "resonates", "from other depts", "text"):
            resonated.add_column(column, overflow="fold")
        for story in summary.most_resonated:
            resonated.add_row(
                str(story.story_id),
                str(story.resonates),
                str(story.from_other_departments),
                _excerpt(story.text),
            )
        console.print(resonated)


def summary(
    period: Annotated[
        str,
        typer.Option(
            "--period", "-p", help="7d, 30d, 90d, quarter or YYYY-MM-DD..YYYY-MM-DD (inclusive)."
        ),
    ] = DEFAULT_PERIOD,
    department: Annotated[
        str | None, typer.Option("--department", "-d", help="Only this department (name or id).")
    ] = None,
    workspace: Annotated[
        str | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="SIGHTLINE_WORKSPACE",
            help="Workspace id, external id or name.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (stable schema).")] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print plain Markdown instead of tables.")
    ] = False,
    chart: Annotated[
        Path | None,
        typer.Option("--chart", help="Also write a PNG chart to this file.", dir_okay=False),
    ] = None,
) -> None:
    """Summarise stories, themes, prompts and engagement for CX leads."""
    runtime = STATE.runtime
    now = runtime.clock.now()
    parsed = parse_period(period, now=now)
    with runtime.session() as session:
        ws = workspace_for(session, workspace)
        department_id = None
        if department is not None:
            found = get_department(session=session, workspace_id=ws.id or 0, name=department)
            department_id = found.id
        result = build_summary(
            session=session,
            workspace_id=ws.id or 0,
            period=parsed,
            department_id=department_id,
            now=now,
        )
    if chart is not None:
        chart.write_bytes(render_chart(result))
    if as_json:
        payload = summary_payload(result)
        if chart is not None:
            payload["chart"] = str(chart)
        print_json(payload)
        return
    if markdown:
        console.print(render_summary_text(result), markup=False, highlight=False, soft_wrap=True)
    else:
        _print_tables(result)
    if chart is not None:
        console.print(f"Chart written to {chart}.", markup=False, highlight=False)
