"""`sightline prompts reminders` and `member`: when a department's reminder goes, and which
department a person counts for."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from bot.cli.context import STATE, console, print_json, workspace_for
from stories.anonymous_answers import anonymity_of, set_anonymous_answers
from stories.departments import get_department
from stories.models import Department
from stories.primary_department import find_member, set_primary_department
from stories.prompt_reminders import reminder_delay, set_reminder_delay

WorkspaceOpt = Annotated[
    str | None,
    typer.Option("--workspace", "-w", envvar="SIGHTLINE_WORKSPACE", help="Workspace id or name."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def reminders(
    department: Annotated[str, typer.Argument(help="Department name or id.")],
    after: Annotated[
        float | None,
        typer.Option(
            "--after", min=0, max=24 * 14, help="Hours after each prompt (0: no reminder)."
        ),
    ] = None,
    default: Annotated[
        bool, typer.Option("--default", help="Use SIGHTLINE_PROMPT_REMINDER_AFTER_HOURS again.")
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show or set when a department's prompt is reminded, to members who have not responded."""
    if after is not None and default:
        raise typer.BadParameter("give --after or --default, not both")
    settings = STATE.settings
    fallback = (
        timedelta(hours=settings.prompt_reminder_after_hours)
        if settings.prompt_reminder_after_hours > 0
        else None
    )
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        found = get_department(session=session, workspace_id=ws.id or 0, name=department)
        if after is not None or default:
            set_reminder_delay(
                session=session, clock=STATE.runtime.clock, department=found, hours=after
            )
        delay = reminder_delay(session=session, department_id=found.id or 0, default=fallback)
    hours = delay.total_seconds() / 3600 if delay is not None else None
    if as_json:
        print_json({"department": found.name, "reminder_after_hours": hours})
        return
    if hours is None:
        console.print(f"{found.name}: no reminder.")
        return
    console.print(
        f"{found.name}: one reminder {hours:g} h after each prompt, personally to the members "
        "who have neither answered nor marked it not relevant."
    )


def member(
    person: Annotated[str, typer.Argument(help="Platform user id (or unique display name).")],
    department: Annotated[
        str | None, typer.Option("--department", "-d", help="The department they count for.")
    ] = None,
    auto: Annotated[
        bool, typer.Option("--auto", help="Back to the rule (the smallest of their departments).")
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show or set the department a person's stories and answers count for."""
    if department is not None and auto:
        raise typer.BadParameter("give --department or --auto, not both")
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        found = find_member(session=session, workspace_id=ws.id or 0, person=person)
        if department is not None or auto:
            target = (
                get_department(session=session, workspace_id=ws.id or 0, name=department)
                if department is not None
                else None
            )
            set_primary_department(
                session=session, clock=STATE.runtime.clock, member=found, department=target
            )
        current = session.get(Department, found.department_id) if found.department_id else None
    name = current.name if current is not None else None
    if as_json:
        print_json({"person": found.platform_user_id, "department": name})
        return
    console.print(f"{found.platform_user_id} counts for {name or 'no department yet'}.")


def answers(
    department: Annotated[str, typer.Argument(help="Department name or id.")],
    anonymous: Annotated[
        bool | None,
        typer.Option(
            "--anonymous-answers/--named-answers",
            help="Store new answers under a pseudonym (shown as “someone in <department>”).",
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show or set whether a department's answers are anonymous."""
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        found = get_department(session=session, workspace_id=ws.id or 0, name=department)
        if anonymous is not None:
            set_anonymous_answers(
                session=session, clock=STATE.runtime.clock, department=found, anonymous=anonymous
            )
        now_anonymous, _salt = anonymity_of(session, found.id)
    if as_json:
        print_json({"department": found.name, "anonymous_answers": now_anonymous})
        return
    how = "anonymous (someone in " + found.name + ")" if now_anonymous else "named"
    console.print(f"{found.name}: answers are {how}.")
