"""`sightline summary`: the CX lead summary as tables, Markdown, JSON or a PNG chart."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlmodel import Session

from bot.cli.context import STATE, console, print_json, workspace_for
from stories.chart import render_chart
from stories.departments import get_department
from stories.errors import NoWorkspaceError
from stories.models import Platform, Workspace
from stories.periods import DEFAULT_PERIOD, parse_period
from stories.summaries import (
    Summary,
    SummaryView,
    build_summary,
    render_summary_text,
    summary_payload,
    summary_view,
)
from stories.summaries.view import Line, Section
from stories.workspaces import LOCAL_WORKSPACE_ID

RETRY = "`sightline summary --period 90d`"  # how to ask for a longer period here


def _label(text: str) -> str:
    # Terminal tables keep the lower-case style of their column headers.
    return text[:1].lower() + text[1:]


def _row(table: Table, cells: list[str]) -> None:
    table.add_row(*(escape(cell) for cell in cells))  # names and quotes are not markup


def _headline(view: SummaryView) -> Table:
    table = Table(title="Headline figures")
    for column in ("metric", "this period", "previous", "change"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for metric in view.headline:
        for indent, row in [("", metric), *(("  ", part) for part in metric.parts)]:
            f = row.figure
            _row(table, [indent + _label(row.label), f.value, f.previous, f.change])
    return table


def _said(line: Line) -> str:
    return " — ".join(w for w in (f"“{line.quote}”" if line.quote else "", line.note) if w)


def _table(section: Section) -> Table:
    table = Table(title=escape(section.title))
    with_words = any(line.quote or line.note for line in section.lines)
    table.add_column(section.item)
    for metric in section.lines[0].metrics:
        table.add_column(metric.label, justify="right")
    if with_words:
        table.add_column("", overflow="fold")
    for line in section.lines:
        name = line.name + (f" ({line.aside})" if line.aside else "")
        figures = [m.figure.text for m in line.metrics]
        _row(table, [name, *figures, *([_said(line)] if with_words else [])])
    return table


def _print_tables(summary: Summary) -> None:
    view = summary_view(summary, full=True, retry=RETRY)
    console.print(f"[bold]{escape(view.document_title)}[/bold]: {escape(view.period)}.")
    if view.empty:
        console.print(view.empty, markup=False)
    console.print(_headline(view))
    if view.silo_note:
        console.print(view.silo_note, markup=False, highlight=False)
    for section in view.sections:
        if section.lines:
            console.print(_table(section))
        else:
            console.print(f"{section.title}: {section.empty}", markup=False, highlight=False)
        if section.more:
            console.print(section.more, markup=False, highlight=False)


def _workspace_id(session: Session, key: str | None, *, as_json: bool) -> int:
    """The workspace summarised. With `--json` and nothing stored yet, a placeholder that is
    flushed and never committed (the session rolls back), so scripts get the same document,
    every figure zero, rather than an error."""
    try:
        return workspace_for(session, key).id or 0
    except NoWorkspaceError:
        if not as_json:
            raise
    placeholder = Workspace(
        platform=Platform.LOCAL,
        external_id=LOCAL_WORKSPACE_ID,
        name="(nothing stored yet)",
        created_at=STATE.runtime.clock.now(),
    )
    session.add(placeholder)
    session.flush()
    return placeholder.id or 0


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
        workspace_id = _workspace_id(session, workspace, as_json=as_json)
        department_id = None
        if department is not None:
            found = get_department(session=session, workspace_id=workspace_id, name=department)
            department_id = found.id
        result = build_summary(
            session=session,
            workspace_id=workspace_id,
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
