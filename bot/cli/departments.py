"""`sightline departments …`: who receives line-of-sight prompts, when and where."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from bot.cli.context import STATE, console, print_json, workspace_for, workspace_or_empty
from stories.departments import (
    DepartmentSpec,
    add_department,
    edit_department,
    list_departments,
    set_paused,
)
from stories.models import Department

app = typer.Typer(help="Departments and their prompt schedules.", no_args_is_help=True)

WorkspaceOpt = Annotated[
    str | None,
    typer.Option(
        "--workspace", "-w", envvar="SIGHTLINE_WORKSPACE", help="Workspace id, external id or name."
    ),
]
Facing = Annotated[
    bool | None,
    typer.Option("--customer-facing/--not-customer-facing", help="Meets customers directly."),
]
SlackChannel = Annotated[str | None, typer.Option("--slack-channel", help="Slack channel id.")]
TeamsChat = Annotated[
    str | None, typer.Option("--teams-conversation", help="Teams conversation id.")
]
Tz = Annotated[str | None, typer.Option("--tz", help="IANA timezone, e.g. Europe/London.")]
Time = Annotated[str | None, typer.Option("--time", help="Local time of the prompt, HH:MM.")]
Days = Annotated[str | None, typer.Option("--days", help="e.g. mon-fri, tue,thu, daily.")]
Every = Annotated[int | None, typer.Option("--every", help="Every N weeks (1-12).")]
Holidays = Annotated[
    str | None, typer.Option("--holidays", help="Country code whose public holidays are skipped.")
]


def _record(department: Department) -> dict[str, object]:
    return {
        "id": department.id,
        "name": department.name,
        "customer_facing": department.customer_facing,
        "slack_channel_id": department.slack_channel_id,
        "teams_conversation_id": department.teams_conversation_id,
        "timezone": department.timezone,
        "time": department.prompt_time,
        "days": department.prompt_days,
        "every_weeks": department.cadence_weeks,
        "holidays": department.holiday_country,
        "paused": department.paused,
        "paused_until": department.paused_until.isoformat() if department.paused_until else None,
    }


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Department name, e.g. Finance.")],
    customer_facing: Facing = None,
    slack_channel: SlackChannel = None,
    teams_conversation: TeamsChat = None,
    tz: Tz = None,
    time: Time = None,
    days: Days = None,
    every: Every = None,
    holidays: Holidays = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Add a department."""
    with STATE.session() as session:
        ws = workspace_for(session, workspace, create=True)
        spec = DepartmentSpec(
            name=name,
            customer_facing=customer_facing,
            slack_channel_id=slack_channel,
            teams_conversation_id=teams_conversation,
            timezone=tz or STATE.settings.default_timezone,
            prompt_time=time,
            prompt_days=days,
            cadence_weeks=every,
            holiday_country=holidays,
        )
        department = add_department(
            session=session, clock=STATE.runtime.clock, workspace_id=ws.id or 0, spec=spec
        )
    console.print(f"Added department {department.name} (id {department.id}).")


@app.command("edit")
def edit(
    name: Annotated[str, typer.Argument(help="Department name or id.")],
    rename: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    customer_facing: Facing = None,
    slack_channel: SlackChannel = None,
    teams_conversation: TeamsChat = None,
    tz: Tz = None,
    time: Time = None,
    days: Days = None,
    every: Every = None,
    holidays: Holidays = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Change a department's settings; options not given stay as they are."""
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        spec = DepartmentSpec(
            name=rename,
            customer_facing=customer_facing,
            slack_channel_id=slack_channel,
            teams_conversation_id=teams_conversation,
            timezone=tz,
            prompt_time=time,
            prompt_days=days,
            cadence_weeks=every,
            holiday_country=holidays,
        )
        department = edit_department(
            session=session,
            clock=STATE.runtime.clock,
            workspace_id=ws.id or 0,
            name=name,
            spec=spec,
        )
    console.print(f"Updated department {department.name}.")


@app.command("list")
def list_command(
    workspace: WorkspaceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List departments and their schedules."""
    with STATE.session() as session:
        ws = workspace_or_empty(session, workspace, as_json=as_json, empty={"departments": []})
        if ws is None:
            return
        departments = list_departments(session=session, workspace_id=ws.id or 0)
    if as_json:
        print_json({"departments": [_record(d) for d in departments]})
        return
    if not departments:
        console.print("No departments yet: add one with `sightline departments add Finance`.")
        return
    table = Table(title=f"Departments in {ws.name}")
    for column in ("name", "customer-facing", "schedule", "timezone", "channel", "state"):
        table.add_column(column)
    for d in departments:
        every = "weekly" if d.cadence_weeks == 1 else f"every {d.cadence_weeks} weeks"
        state = "paused" if d.paused else "active"
        if d.paused and d.paused_until:
            state += f" until {d.paused_until.date().isoformat()}"
        table.add_row(
            d.name,
            "yes" if d.customer_facing else "no",
            f"{d.prompt_days} {d.prompt_time} ({every})",
            d.timezone,
            d.slack_channel_id or d.teams_conversation_id or "-",
            state,
        )
    console.print(table)


@app.command("pause")
def pause(
    name: Annotated[str, typer.Argument(help="Department name or id.")],
    until: Annotated[str | None, typer.Option(help="Resume automatically on this date.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Stop sending prompts to a department (skipped prompts are recorded)."""
    until_at = None
    if until is not None:
        try:
            until_at = datetime.fromisoformat(until).replace(tzinfo=UTC)
        except ValueError:
            raise typer.BadParameter(f"{until!r} is not a date like 2027-01-04") from None
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        department = set_paused(
            session=session,
            clock=STATE.runtime.clock,
            workspace_id=ws.id or 0,
            name=name,
            paused=True,
            until=until_at,
        )
    suffix = f" until {until}" if until else ""
    console.print(f"Paused {department.name}{suffix}.")


@app.command("resume")
def resume(
    name: Annotated[str, typer.Argument(help="Department name or id.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Start sending prompts to a paused department again."""
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        department = set_paused(
            session=session,
            clock=STATE.runtime.clock,
            workspace_id=ws.id or 0,
            name=name,
            paused=False,
        )
    console.print(f"Resumed {department.name}.")
