"""`sightline workspaces …` and `sightline leads …`: each workspace's own channels and CX
leads, as CX leads set them from chat (`settings …`, `lead add|remove …`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import col, select

from bot.app import build_core
from bot.cli.context import STATE, console, print_json, workspace_for
from bot.cli.workspace_data import state_record
from stories.conversation.workspace import defaults_for
from stories.installs import list_states
from stories.models import Workspace
from stories.workspace_settings import (
    Channel,
    add_lead,
    list_leads,
    remove_lead,
    rename,
    set_channel,
    settings_of,
)

SCHEMA = 1
workspaces_app = typer.Typer(help="Workspaces and their own settings.", no_args_is_help=True)
leads_app = typer.Typer(help="CX leads of a workspace.", no_args_is_help=True)

WorkspaceOpt = Annotated[
    str | None,
    typer.Option(
        "--workspace", "-w", envvar="SIGHTLINE_WORKSPACE", help="Workspace id, external id or name."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ChannelOpt = Annotated[
    str | None,
    typer.Option(help="Channel id (Slack C…, Teams 19:…@thread.tacv2); 'default' to unset."),
]
Who = Annotated[str, typer.Argument(help="Chat user id (Slack U…, Teams AAD object id) or e-mail.")]


def _record(ws: Workspace) -> dict[str, object]:
    """The workspace's settings: its own values and what applies (own, else the default)."""
    with STATE.session() as session:
        own = settings_of(session=session, workspace_id=ws.id or 0)
        leads = list_leads(session=session, workspace_id=ws.id or 0)
    defaults = defaults_for(build_core(STATE.runtime), ws.platform.value)
    own_stories = own.stories_channel if own else None
    own_leads = own.leads_channel if own else None
    return {
        "id": ws.id,
        "platform": ws.platform.value,
        "external_id": ws.external_id,
        "name": ws.name,
        "stories_channel": own_stories,
        "leads_channel": own_leads,
        "effective_stories_channel": own_stories or defaults.stories_channel,
        "effective_leads_channel": own_leads or defaults.leads_channel,
        "leads": [{"identity": lead.identity, "name": lead.name} for lead in leads],
    }


def _state(record: dict[str, object]) -> str:
    if record.get("active", True):
        return "active"
    purge_after = str(record.get("purge_after") or "")[:10]
    removed = f"removed ({record.get('removal_reason') or 'inactive'})"
    return f"{removed}, data deleted {purge_after}" if purge_after else removed


def _value(raw: str | None) -> str | None:
    return None if raw is None or raw.strip().lower() in ("default", "off", "") else raw.strip()


@workspaces_app.command("list")
def list_workspaces(as_json: JsonOpt = False) -> None:
    """Every workspace: its channels and leads, active or removed (and when its data goes)."""
    with STATE.session() as session:
        found = list(session.exec(select(Workspace).order_by(col(Workspace.id))))
        states = {state.id: state_record(state) for state in list_states(session=session)}
    records = [{**states.get(ws.id or 0, {}), **_record(ws)} for ws in found]
    if as_json:
        print_json({"schema": SCHEMA, "workspaces": records})
        return
    if not records:
        console.print("No workspaces yet: they appear when Sightline is installed or used.")
        return
    table = Table(title="Workspaces")
    columns = ("id", "platform", "name", "state", "stories channel", "leads' channel", "leads")
    for column in columns:
        table.add_column(column)
    for r in records:
        table.add_row(
            str(r["id"]),
            str(r["platform"]),
            str(r["name"]),
            _state(r),
            str(r["effective_stories_channel"] or "-"),
            str(r["effective_leads_channel"] or "-"),
            str(len(r["leads"])),  # type: ignore[arg-type]
        )
    console.print(table)


@workspaces_app.command("settings")
def settings(
    name: Annotated[str | None, typer.Option(help="The workspace's display name.")] = None,
    stories_channel: ChannelOpt = None,
    leads_channel: ChannelOpt = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a workspace's settings, or change them (options not given stay as they are)."""
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        if name is not None:
            rename(session=session, workspace=ws, name=name)
        for channel, raw in ((Channel.STORIES, stories_channel), (Channel.LEADS, leads_channel)):
            if raw is not None:
                set_channel(
                    session=session,
                    clock=STATE.runtime.clock,
                    workspace_id=ws.id or 0,
                    channel=channel,
                    value=_value(raw),
                )
    record = _record(ws)
    if as_json:
        print_json({"schema": SCHEMA, "workspace": record})
        return
    console.print(f"Settings for {record['name']} ({record['platform']}):")
    for label, own, effective in (
        ("Stories channel", record["stories_channel"], record["effective_stories_channel"]),
        ("Leads' channel", record["leads_channel"], record["effective_leads_channel"]),
    ):
        note = "" if own or not effective else " (the installation's default)"
        console.print(f"  {label}: {effective or 'none'}{note}")


@leads_app.command("list")
def leads_list(workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """The CX leads a workspace names (SIGHTLINE_CX_LEADS adds more, for every workspace)."""
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        leads = list_leads(session=session, workspace_id=ws.id or 0)
    if as_json:
        rows = [{"identity": lead.identity, "name": lead.name} for lead in leads]
        print_json({"schema": SCHEMA, "workspace": ws.name, "leads": rows})
        return
    if not leads:
        console.print(f"No CX leads named in {ws.name}.")
        return
    for lead in leads:
        console.print(f"{lead.identity}" + (f"  ({lead.name})" if lead.name else ""))


@leads_app.command("add")
def leads_add(who: Who, workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """Make someone a CX lead of the workspace."""
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        lead, added = add_lead(
            session=session, clock=STATE.runtime.clock, workspace_id=ws.id or 0, who=who
        )
    if as_json:
        print_json({"schema": SCHEMA, "identity": lead.identity, "added": added})
        return
    console.print(f"{lead.identity} {'is now' if added else 'was already'} a CX lead of {ws.name}.")


@leads_app.command("remove")
def leads_remove(who: Who, workspace: WorkspaceOpt = None, as_json: JsonOpt = False) -> None:
    """No longer a CX lead of the workspace."""
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        removed = remove_lead(session=session, workspace_id=ws.id or 0, who=who)
    if as_json:
        print_json({"schema": SCHEMA, "identity": who.strip().casefold(), "removed": removed})
        return
    console.print(
        f"{who} is no longer a CX lead of {ws.name}." if removed else f"{who} was not a lead."
    )
