"""`sightline members export | erase`: one member's data (GDPR articles 15 and 17)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.app import build_core
from bot.cli.context import STATE, console, errors, print_json, workspace_for
from bot.rights import carry_out
from stories.conversation.rights import erase as erase_member
from stories.member_data import export_json, export_member, find_member
from stories.models import Member, Workspace

app = typer.Typer(help="One member's data: export it, erase it.", no_args_is_help=True)

MemberArg = Annotated[
    str, typer.Argument(help="Member id, chat user id, or display name when it is unique.")
]
WorkspaceOpt = Annotated[
    str | None,
    typer.Option(
        "--workspace", "-w", envvar="SIGHTLINE_WORKSPACE", help="Workspace id, external id or name."
    ),
]


@app.command("export")
def export(
    member: MemberArg,
    out: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Everything stored about a member, as JSON: their stories, answers, marks and more."""
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        found = find_member(session=session, workspace_id=ws.id or 0, key=member)
        content = export_json(export_member(session=session, member=found))
    if out is None:
        sys.stdout.buffer.write(content + b"\n")
        return
    out.write_bytes(content)
    errors.print(f"Wrote {out}.")


@app.command("erase")
def erase(
    member: MemberArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm.")] = False,
    workspace: WorkspaceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Erase a member: answers, marks, member record; their stories deleted or kept without
    their name (the workspace's choice); the bot's posts of their words removed from chat."""
    runtime = STATE.runtime
    core_member, ws = _find(member, workspace)
    if not yes and not typer.confirm(
        f"Erase {core_member.display_name or core_member.platform_user_id} and their data?"
    ):
        errors.print("Nothing erased.")
        raise typer.Exit(1)
    erasure, effects = erase_member(env=build_core(runtime), member=core_member)
    applied = asyncio.run(carry_out(runtime, ws, effects))
    report = {
        "stories_deleted": erasure.stories_deleted,
        "stories_kept_anonymously": erasure.stories_kept,
        "answers": erasure.answers,
        "engagement": erasure.engagement,
        "not_relevant_marks": erasure.feedback,
        "chat_posts_changed": len(effects) if applied else 0,
        "chat_posts_left": 0 if applied else len(effects),
    }
    if as_json:
        print_json({"erased": report})
        return
    console.print(
        "Erased: "
        + ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in report.items())
        + "."
    )
    if not applied:
        errors.print(
            f"{len(effects)} post(s) in {ws.platform.value} could not be changed: no "
            f"{ws.platform.value} credentials are configured here."
        )


def _find(member: str, workspace: str | None) -> tuple[Member, Workspace]:
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        return find_member(session=session, workspace_id=ws.id or 0, key=member), ws
