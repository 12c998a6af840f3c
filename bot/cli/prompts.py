"""`sightline prompts …`: send, preview and audit line-of-sight prompts."""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlmodel import Session, select

from bot.app import build_senders
from bot.cli.context import (
    STATE,
    console,
    errors,
    print_json,
    workspace_for,
    workspace_or_empty,
)
from bot.cli.prompt_people import answers, member, reminders
from bot.scheduler import PromptConfig, PromptScheduler
from bot.teams_graph import crash_check_note
from stories.departments import get_department, list_departments
from stories.errors import NoPromptSenderError
from stories.models import (
    DeliveryStatus,
    Department,
    DepartmentRoster,
    Platform,
    PromptDelivery,
    PromptTemplate,
    Workspace,
)
from stories.prompt_ledger import list_deliveries
from stories.prompt_library import list_library, sync_library
from stories.prompt_members import Override, department_members, roster_status, set_override
from stories.prompt_selection import preview_prompt
from stories.prompts import destination_for
from stories.schedule import plan_between
from stories.workspaces import ensure_member

app = typer.Typer(
    help="Line-of-sight prompts: send, preview, ledger, library.", no_args_is_help=True
)

WorkspaceOpt = Annotated[
    str | None,
    typer.Option(
        "--workspace", "-w", envvar="SIGHTLINE_WORKSPACE", help="Workspace id, external id or name."
    ),
]
DepartmentArg = Annotated[str, typer.Argument(help="Department name or id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _config() -> PromptConfig:
    return PromptConfig.from_settings(STATE.settings)


def _find(session: Session, workspace: str | None, name: str) -> tuple[Workspace, Department]:
    ws = workspace_for(session, workspace)
    return ws, get_department(session=session, workspace_id=ws.id or 0, name=name)


@app.command("send")
def send(department: DepartmentArg, workspace: WorkspaceOpt = None) -> None:
    """Send a prompt to a department now, through the delivery ledger (a manual occurrence)."""
    runtime = STATE.runtime
    config = _config()
    senders = build_senders(runtime)
    with STATE.session() as session:
        ws, found = _find(session, workspace, department)
        if destination_for(ws, found, senders) is None:
            raise NoPromptSenderError(department=found.name)
    scheduler = PromptScheduler(
        runtime, senders, config=config, instance=f"cli:{socket.gethostname()}:{os.getpid()}"
    )
    outcome = asyncio.run(scheduler.send_now(department_id=found.id or 0))
    if outcome.status == DeliveryStatus.SENT and outcome.message is not None:
        message = outcome.message
        console.print(
            f"Sent a prompt to {found.name} ({message.platform} {message.destination}): "
            f"story {message.story_id} with question {message.question_key} "
            f"(delivery {outcome.delivery_id})."
        )
        return
    if outcome.status is None:
        console.print(f"A prompt for {found.name} was just sent; nothing more was sent.")
        return
    console.print(
        f"No prompt went to {found.name}: {outcome.reason} "
        f"(delivery {outcome.delivery_id}, {outcome.status.value})."
    )
    raise typer.Exit(1)


@app.command("preview")
def preview(
    department: DepartmentArg, workspace: WorkspaceOpt = None, as_json: JsonOpt = False
) -> None:
    """Show the story and question a department would get now; nothing is sent or recorded."""
    config = _config()
    with STATE.session() as session:
        _ws, found = _find(session, workspace, department)
        sync_library(session=session, prompts=config.library)
        result = preview_prompt(
            session=session,
            department=found,
            touchpoint_map=config.touchpoints,
            now=STATE.runtime.clock.now(),
            repeat_window=config.repeat_window,
        )
    story = result.story.story if result.story else None
    if as_json:
        print_json(
            {
                "department": found.name,
                "area": result.area,
                "story": None
                if story is None
                else {
                    "id": story.id,
                    "text": story.text,
                    "customer": story.customer_label,
                    "touchpoint": story.touchpoint,
                    "matched_touchpoint": result.story.matched if result.story else False,
                },
                "question": None
                if result.question is None
                else {"key": result.question.key, "text": result.question.text},
            }
        )
        return
    console.print(f"[bold]{found.name}[/bold] (area: {result.area or 'none, general questions'})")
    if story is None or result.story is None:
        console.print("No eligible story: the prompt would be recorded as skipped.")
    else:
        how = (
            "matches this department"
            if result.story.matched
            else "fallback, no matching touchpoint"
        )
        label = f"{story.customer_label}, " if story.customer_label else ""
        console.print(f"Story {story.id} ({label}{story.touchpoint or 'no touchpoint'}; {how}):")
        console.print(f"  {story.text}", markup=False)
    if result.question is None:
        console.print("No active question in the library.")
    else:
        console.print(f"Question {result.question.key}: {result.question.text}", markup=False)


def _delivery_record(
    delivery: PromptDelivery, names: dict[int, str], templates: dict[int, str]
) -> dict[str, object]:
    return {
        "id": delivery.id,
        "department": names.get(delivery.department_id or 0),
        "kind": delivery.kind,
        "occurrence_at": delivery.occurrence_at.isoformat(),
        "status": delivery.status.value,
        "story_id": delivery.story_id,
        "question": templates.get(delivery.template_id or 0),
        "claimed_by": delivery.claimed_by,
        "sent_at": delivery.sent_at.isoformat() if delivery.sent_at else None,
        "message_ref": delivery.message_ref,
        "reason": delivery.reason,
        "reminder_sent_at": delivery.reminder_sent_at.isoformat()
        if delivery.reminder_sent_at
        else None,
    }


@app.command("deliveries")
def deliveries(
    department: Annotated[
        str | None, typer.Option("--department", "-d", help="Only this department.")
    ] = None,
    status: Annotated[
        DeliveryStatus | None, typer.Option("--status", help="Only this status.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000)] = 100,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The delivery ledger: every occurrence sent, failed, skipped or missed, newest first."""
    with STATE.session() as session:
        ws = workspace_or_empty(session, workspace, as_json=as_json, empty={"deliveries": []})
        if ws is None:
            return
        department_id = None
        if department is not None:
            department_id = get_department(
                session=session, workspace_id=ws.id or 0, name=department
            ).id
        rows = list_deliveries(
            session=session,
            workspace_id=ws.id or 0,
            department_id=department_id,
            status=status,
            limit=limit,
        )
        names = {
            d.id or 0: d.name for d in list_departments(session=session, workspace_id=ws.id or 0)
        }
        templates = {t.id or 0: t.key for t in session.exec(select(PromptTemplate))}
    records = [_delivery_record(row, names, templates) for row in rows]
    note = crash_check_note(STATE.settings) if ws.platform == Platform.TEAMS else None
    if as_json:
        print_json({"deliveries": records, **({"crash_check": note} if note else {})})
        return
    if note:
        console.print(note)
    if not records:
        console.print("No prompt deliveries yet.")
        return
    table = Table(title=f"Prompt deliveries in {ws.name}")
    for column in ("id", "department", "occurrence (UTC)", "status", "story", "question", "note"):
        table.add_column(column)
    for r in records:
        table.add_row(
            str(r["id"]),
            str(r["department"] or "-"),
            str(r["occurrence_at"])[:16].replace("T", " ")
            + (" manual" if r["kind"] == "manual" else ""),
            str(r["status"]),
            str(r["story_id"] or "-"),
            str(r["question"] or "-"),
            str(r["reason"] or r["message_ref"] or ""),
        )
    console.print(table)


@app.command("library")
def library(
    area: Annotated[str | None, typer.Option("--area", help="finance, legal, it, hr, …")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the line-of-sight questions (synced from config/prompts.toml)."""
    config = _config()
    with STATE.session() as session:
        sync_library(session=session, prompts=config.library)
        templates = list_library(session=session, area=area)
    if as_json:
        print_json({"prompts": [{"key": t.key, "area": t.area, "text": t.text} for t in templates]})
        return
    if not templates:
        console.print(f"No questions for area {area!r}." if area else "The library is empty.")
        return
    table = Table(title=f"Prompt library ({len(templates)} questions)")
    for column in ("key", "area", "question"):
        table.add_column(column)
    for t in templates:
        table.add_row(t.key, t.area, t.text)
    console.print(table)


@app.command("schedule")
def schedule(
    department: DepartmentArg,
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="How far ahead.")] = 28,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Upcoming occurrences for a department, in its own timezone, with holidays and pauses."""
    with STATE.session() as session:
        _ws, found = _find(session, workspace, department)
    now = STATE.runtime.clock.now()
    plan = plan_between(found, now, now + timedelta(days=days))
    zone = ZoneInfo(found.timezone)
    records = [
        {
            "at": o.at.isoformat(),
            "local": o.at.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z"),
            "skipped": o.skip_reason,
        }
        for o in plan
    ]
    if as_json:
        print_json({"department": found.name, "timezone": found.timezone, "occurrences": records})
        return
    if not records:
        console.print(f"{found.name} has no prompts in the next {days} days.")
        return
    for r in records:
        note = f"  skipped: {r['skipped']}" if r["skipped"] else ""
        console.print(f"{r['local']}{note}")


@app.command("members")
def members(
    department: DepartmentArg,
    add: Annotated[
        list[str] | None, typer.Option("--add", help="Include this platform user id by hand.")
    ] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Exclude this platform user id by hand.")
    ] = None,
    reset: Annotated[
        list[str] | None,
        typer.Option("--reset", help="Drop the override: the channel decides again."),
    ] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Read the linked channel's members now.")
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Who a department's prompts reach: channel members plus manual overrides."""
    clock = STATE.runtime.clock
    if refresh:
        _refresh_members(workspace, department)
    with STATE.session() as session:
        _ws, found = _find(session, workspace, department)
        changes: list[tuple[str, Override | None]] = [
            *((user, "include") for user in add or []),
            *((user, "exclude") for user in remove or []),
            *((user, None) for user in reset or []),
        ]
        for user, override in changes:
            member = ensure_member(
                session=session,
                clock=clock,
                workspace_id=found.workspace_id,
                platform_user_id=user,
            )
            set_override(
                session=session, clock=clock, department=found, member=member, override=override
            )
        current = department_members(session=session, department=found)
        roster = roster_status(session=session, department=found)
    status = _roster_label(roster)
    if as_json:
        print_json(
            {
                "department": found.name,
                "channel": status,
                "members": [
                    {"user": m.platform_user_id, "name": m.display_name or None} for m in current
                ],
            }
        )
        return
    console.print(f"{found.name}: {len(current)} member(s); channel {status}.")
    for m in current:
        console.print(f"  {m.platform_user_id} {m.display_name}".rstrip(), markup=False)


def _refresh_members(workspace: str | None, department: str) -> None:
    """`members --refresh`: read the linked channel's members now."""
    with STATE.session() as session:
        _ws, target = _find(session, workspace, department)
    scheduler = PromptScheduler(STATE.runtime, build_senders(STATE.runtime))
    read = asyncio.run(scheduler.refresh_rosters(department_id=target.id))
    if not read:
        errors.print(f"No configured platform can list the members of {target.name}'s channel.")


def _roster_label(roster: DepartmentRoster | None) -> str:
    if roster is None:
        return "never read"
    return "readable" if roster.readable else f"unreadable: {roster.error}"


app.command("reminders")(reminders)
app.command("member")(member)
app.command("answers")(answers)
