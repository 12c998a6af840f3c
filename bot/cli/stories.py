"""`sightline stories …` and `sightline demo-data`."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot.cli.context import (
    STATE,
    console,
    errors,
    print_json,
    workspace_for,
    workspace_or_empty,
)
from stories.capture import StoryDraft, capture_story, delete_story, get_story, list_stories
from stories.demo import load_demo
from stories.errors import SightlineError
from stories.exports import KINDS, export_answers, export_engagement, export_file_name
from stories.models import Emotion, SourceKind, Story
from stories.periods import Period, parse_period
from stories.records import SCHEMA_VERSION, StoryRecord, story_records
from stories.search import search_stories
from stories.transfer import Format, export_stories, import_stories, read_import_rows

app = typer.Typer(help="Customer stories.", no_args_is_help=True)

WorkspaceOpt = Annotated[
    str | None,
    typer.Option(
        "--workspace", "-w", envvar="SIGHTLINE_WORKSPACE", help="Workspace id, external id or name."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (stable schema).")]


def _parse_date(value: str | None, *, end: bool = False) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-24") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if end and len(value) == 10:  # a bare date includes the whole day
        parsed = parsed.replace(hour=23, minute=59, second=59, microsecond=999999)
    return parsed


def _table(records: list[StoryRecord], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for column in ("id", "date", "touchpoint", "emotion", "author", "story"):
        table.add_column(column, overflow="fold")
    for record in records:
        text = record["text"]
        table.add_row(
            str(record["id"]),
            record["created_at"][:10],
            record["touchpoint"] or "",
            record["emotion"] or "",
            record["author"] or "",
            text if len(text) <= 140 else text[:139] + "…",
        )
    return table


def _emit(stories: list[Story], *, as_json: bool, title: str, extra: dict[str, object]) -> None:
    with STATE.session() as session:
        records = story_records(session=session, stories=stories)
    if as_json:
        print_json({"schema": SCHEMA_VERSION, **extra, "stories": records})
    elif records:
        console.print(_table(records, title))
    else:
        console.print("No stories found.")


@app.command("add")
def add(
    text: Annotated[str, typer.Argument(help="The story, in a sentence or a few.")],
    customer: Annotated[str | None, typer.Option(help="Customer label or segment.")] = None,
    touchpoint: Annotated[str | None, typer.Option(help="e.g. billing, login, delivery.")] = None,
    emotion: Annotated[Emotion | None, typer.Option(help="How the customer felt.")] = None,
    shared: Annotated[bool, typer.Option(help="May be posted and used in prompts.")] = True,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Capture a story (personal data is redacted before it is stored)."""
    runtime = STATE.runtime
    with STATE.session() as session:
        ws = workspace_for(session, workspace, create=True)
        draft = StoryDraft(
            workspace_id=ws.id or 0,
            text=text,
            source_kind=SourceKind.CLI,
            customer_label=customer,
            touchpoint=touchpoint,
            emotion=emotion,
            shared=shared,
        )
        story = capture_story(
            session=session, clock=runtime.clock, redactor=runtime.redactor, draft=draft
        ).story
    if as_json:
        _emit([story], as_json=True, title="", extra={})
        return
    note = (
        f" ({story.redaction_count} personal detail(s) redacted)" if story.redaction_count else ""
    )
    console.print(f"Stored story {story.id}{note}.")


@app.command("list")
def list_command(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    touchpoint: Annotated[str | None, typer.Option()] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the newest stories."""
    with STATE.session() as session:
        empty: dict[str, object] = {"schema": SCHEMA_VERSION, "workspace": None, "stories": []}
        ws = workspace_or_empty(session, workspace, as_json=as_json, empty=empty)
        if ws is None:
            return
        found = list_stories(
            session=session, workspace_id=ws.id or 0, limit=limit, touchpoint=touchpoint
        )
    _emit(found, as_json=as_json, title=f"Stories in {ws.name}", extra={"workspace": ws.name})


@app.command("show")
def show(
    story_id: Annotated[int, typer.Argument(help="Story id.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one story in full."""
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        story = get_story(session=session, workspace_id=ws.id or 0, story_id=story_id)
        record = story_records(session=session, stories=[story])[0]
    if as_json:
        print_json({"schema": SCHEMA_VERSION, "story": record})
        return
    for key in (
        "id",
        "created_at",
        "customer_label",
        "touchpoint",
        "emotion",
        "author",
        "department",
        "source_kind",
        "permalink",
        "resonates",
        "redaction_count",
    ):
        value = record[key]
        if value not in (None, ""):
            console.print(f"[bold]{key}[/bold]: {value}")
    console.print()
    console.print(record["text"], markup=False)


@app.command("search")
def search(
    words: Annotated[list[str], typer.Argument(help="Words to look for.")],
    touchpoint: Annotated[str | None, typer.Option()] = None,
    department: Annotated[str | None, typer.Option(help="Author's department.")] = None,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this date, inclusive.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Full-text search, best matches first."""
    from stories.departments import get_department

    query = " ".join(words)
    with STATE.session() as session:
        empty = {"schema": SCHEMA_VERSION, "query": query, "has_more": False, "stories": []}
        ws = workspace_or_empty(session, workspace, as_json=as_json, empty=empty)
        if ws is None:
            return
        department_id = (
            get_department(session=session, workspace_id=ws.id or 0, name=department).id
            if department
            else None
        )
        page = search_stories(
            session=session,
            workspace_id=ws.id or 0,
            query=query,
            touchpoint=touchpoint,
            department_id=department_id,
            since=_parse_date(since),
            until=_parse_date(until, end=True),
            limit=limit,
        )
    _emit(
        [hit.story for hit in page.hits],
        as_json=as_json,
        title=f"Stories matching {query!r}",
        extra={"query": query, "has_more": page.has_more},
    )


@app.command("delete")
def delete(
    story_id: Annotated[int, typer.Argument(help="Story id.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Delete a story for good (it leaves search, summaries and prompts)."""
    runtime = STATE.runtime
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        story = get_story(session=session, workspace_id=ws.id or 0, story_id=story_id)
        if not yes and not typer.confirm(f"Delete story {story_id}: {story.text[:60]!r}?"):
            raise typer.Exit(1)
        delete_story(
            session=session,
            clock=runtime.clock,
            workspace_id=ws.id or 0,
            story_id=story_id,
            actor=None,
        )
    console.print(f"Deleted story {story_id}.")


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    file_format: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl (default: from the suffix).")
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Import stories from CSV or JSON Lines; safe to run again on the same file."""
    runtime = STATE.runtime
    total = max(sum(1 for _ in path.open("rb")) - (1 if path.suffix == ".csv" else 0), 0)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with STATE.session() as session, Progress(*columns, console=errors) as progress:
        ws = workspace_for(session, workspace, create=True)
        task = progress.add_task(f"Importing {path.name}", total=total)
        report = import_stories(
            session=session,
            clock=runtime.clock,
            redactor=runtime.redactor,
            workspace_id=ws.id or 0,
            rows=read_import_rows(path, format=file_format),
            on_progress=lambda line: progress.update(task, completed=line),
        )
    console.print(
        f"Imported {report.created} new, {report.duplicates} already present, "
        f"{len(report.rejected)} rejected."
    )
    for line, reason in report.rejected:
        errors.print(f"  line {line}: {reason}", markup=False)
    if report.rejected:
        raise typer.Exit(1)


@app.command("export")
def export(
    file_format: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    what: Annotated[
        str,
        typer.Option(
            "--what", help="stories, answers (to prompts), engagement (resonates) or all."
        ),
    ] = "stories",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="File or folder (default stdout); a folder with --what all."
        ),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option("--period", "-p", help="7d, 30d, 90d, quarter or YYYY-MM-DD..YYYY-MM-DD."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this date, inclusive.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Export stories, prompt answers or engagement as CSV (opens in spreadsheets) or JSON Lines."""
    fmt, chosen = _export_options(file_format, what, period, since, until)
    start = chosen.start if chosen else _parse_date(since)
    end = chosen.end if chosen else _parse_date(until, end=True)
    if what == "all":
        if output is None or output.is_file():
            raise typer.BadParameter(
                "--what all writes three files: name a folder", param_hint="-o"
            )
        _make_folder(output)
    writers = {
        "stories": export_stories,
        "answers": export_answers,
        "engagement": export_engagement,
    }
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        for kind in KINDS if what == "all" else (what,):
            target = _export_target(output, export_file_name(kind, chosen, fmt))
            with _open_output(target) as out:
                count = writers[kind](
                    session=session,
                    workspace_id=ws.id or 0,
                    out=out,
                    format=fmt,
                    since=start,
                    until=end,
                    # A --period is half-open; --until names its last day (or instant).
                    until_inclusive=chosen is None,
                )
            if target is not None:
                console.print(f"Exported {count} {kind} rows to {target}.")


def _export_options(
    file_format: str, what: str, period: str | None, since: str | None, until: str | None
) -> tuple[Format, Period | None]:
    """The export's format and period, or a usage error naming the option at fault."""
    if file_format not in ("csv", "jsonl"):
        raise typer.BadParameter("choose csv or jsonl", param_hint="--format")
    if what not in (*KINDS, "all"):
        raise typer.BadParameter("choose stories, answers, engagement or all", param_hint="--what")
    if period is not None and (since or until):
        raise typer.BadParameter(
            "give --period or --since/--until, not both", param_hint="--period"
        )
    chosen: Period | None = None
    if period is not None:
        try:
            chosen = parse_period(period, now=STATE.runtime.clock.now())
        except SightlineError as exc:
            raise typer.BadParameter(str(exc), param_hint="--period") from None
    return ("jsonl" if file_format == "jsonl" else "csv"), chosen


def _export_target(output: Path | None, name: str) -> Path | None:
    """Where one export goes: stdout (None), the named file, or ``name`` inside a folder."""
    if output is not None and output.is_dir():
        return output / name
    return output


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot create folder {folder}: {exc.strerror}", param_hint="-o"
        ) from None


def _open_output(target: Path | None) -> AbstractContextManager[IO[bytes]]:
    if target is None:
        return nullcontext(sys.stdout.buffer)
    try:
        return target.open("wb")
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot write {target}: {exc.strerror}", param_hint="-o"
        ) from None


def demo_data() -> None:
    """Load about 40 example stories into a workspace named 'Sightline demo'."""
    runtime = STATE.runtime
    with STATE.session() as session:
        report = load_demo(
            session=session,
            clock=runtime.clock,
            redactor=runtime.redactor,
            path=STATE.settings.config_dir / "demo-stories.jsonl",
        )
    console.print(report.summary())
