"""`sightline workspaces list | purge | reactivate`: installed and removed workspaces.

The commands are added to the `workspaces` group by :func:`register`, so they can sit
beside other `workspaces` commands defined elsewhere.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.context import STATE, console, errors, print_json, workspace_for
from stories.errors import SightlineError
from stories.installs import (
    WorkspaceState,
    due_for_purge,
    list_states,
    mark_installed,
    purge_workspace,
)
from stories.models import ErasedStories
from stories.retention import set_policy

WorkspaceArg = Annotated[str, typer.Argument(help="Workspace id, external id or name.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


class NothingToPurgeError(SightlineError):
    def __init__(self) -> None:
        super().__init__("Name a workspace to purge, or pass --due for every one past its grace.")


def state_record(state: WorkspaceState) -> dict[str, object]:
    return {
        "id": state.id,
        "platform": state.platform,
        "external_id": state.external_id,
        "name": state.name,
        "active": state.active,
        "stories": state.stories,
        "members": state.members,
        "removed_at": state.removed_at.isoformat() if state.removed_at else None,
        "removal_reason": state.reason,
        "purge_after": state.purge_after.isoformat() if state.purge_after else None,
    }


def purge(
    workspace: Annotated[str | None, typer.Argument(help="Workspace to delete now.")] = None,
    due: Annotated[
        bool, typer.Option("--due", help="Every removed workspace past its grace period.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete a workspace and everything it holds, for good (stories, answers, members…)."""
    runtime = STATE.runtime
    with STATE.session() as session:
        if due:
            targets = due_for_purge(session=session, now=runtime.clock.now())
        elif workspace is not None:
            targets = [workspace_for(session, workspace).id or 0]
        else:
            raise NothingToPurgeError()
        names = {s.id: s.name for s in list_states(session=session) if s.id in targets}
        if targets and not yes and not as_json:
            listed = ", ".join(names.values())
            if not typer.confirm(f"Delete {listed} and all of its data for good?"):
                errors.print("Nothing deleted.")
                raise typer.Exit(1)
        purged = [wid for wid in targets if purge_workspace(session=session, workspace_id=wid)]
    if as_json:
        print_json({"purged": [{"id": wid, "name": names.get(wid)} for wid in purged]})
        return
    console.print(f"Deleted {len(purged)} workspace(s) and their data.")


def reactivate(workspace: WorkspaceArg) -> None:
    """Mark a removed workspace installed again (single-token Slack, after a reinstall)."""
    runtime = STATE.runtime
    with STATE.session() as session:
        found = workspace_for(session, workspace)
        was = mark_installed(
            session=session,
            clock=runtime.clock,
            platform=found.platform,
            external_id=found.external_id,
        )
    console.print(f"{found.name} is active{' again' if was else ' (it was not removed)'}.")


def data_policy(
    workspace: WorkspaceArg,
    retention_days: Annotated[
        int | None,
        typer.Option("--retention-days", min=1, help="Delete stories, answers, engagement older."),
    ] = None,
    installation_default: Annotated[
        bool,
        typer.Option("--installation-retention", help="Use SIGHTLINE_RETENTION_DAYS again."),
    ] = False,
    erased_stories: Annotated[
        ErasedStories | None,
        typer.Option("--erased-stories", help="What erasing a member does to their stories."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show or change a workspace's own data choices: retention and erasure."""
    runtime = STATE.runtime
    with STATE.session() as session:
        found = workspace_for(session, workspace)
        policy = set_policy(
            session=session,
            clock=runtime.clock,
            workspace_id=found.id or 0,
            retention_days=retention_days,
            installation_retention=installation_default,
            erased_stories=erased_stories,
        )
    effective = policy.retention_days or runtime.settings.retention_days
    record = {
        "workspace": found.name,
        "retention_days": policy.retention_days,
        "effective_retention_days": effective,
        "erased_stories": policy.erased_stories.value,
    }
    if as_json:
        print_json({"policy": record})
        return
    kept = f"{effective} days" if effective else "until deleted"
    erasing = (
        "deletes their stories"
        if policy.erased_stories == ErasedStories.DELETE
        else "keeps their shared stories without their name"
    )
    console.print(
        f"{found.name}: stories, answers and engagement are kept {kept}; "
        f"erasing a member {erasing}."
    )


def register(group: typer.Typer) -> None:
    """Add these commands to a `workspaces` command group."""
    group.command("purge")(purge)
    group.command("reactivate")(reactivate)
    group.command("data-policy")(data_policy)
