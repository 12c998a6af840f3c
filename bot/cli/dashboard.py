"""`sightline dashboard link`: a one-time sign-in link to the web dashboard for a lead."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.app import build_core
from bot.cli.context import STATE, console, print_json, workspace_for
from stories.dashboard.signin import LINK_LIFETIME, link_for_admin

app = typer.Typer(help="The CX leads' web dashboard.", no_args_is_help=True)


@app.command("link")
def link(
    lead: Annotated[
        str,
        typer.Option(
            "--lead", help="The lead's chat user id (Slack user id, Teams AAD object id)."
        ),
    ],
    workspace: Annotated[
        str | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="SIGHTLINE_WORKSPACE",
            help="Workspace id, external id or name.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a one-time sign-in link (10 minutes) for a CX lead, to hand over privately."""
    core = build_core(STATE.runtime)
    assert core.dashboard is not None
    with STATE.session() as session:
        ws = workspace_for(session, workspace)
        url = link_for_admin(
            session=session,
            clock=STATE.runtime.clock,
            links=core.dashboard,
            workspace_id=ws.id or 0,
            user=lead,
            listed_leads=core.config.cx_leads,
        )
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    if as_json:
        print_json({"schema": 1, "url": url, "expires_in_minutes": minutes})
        return
    console.print(url, soft_wrap=True, highlight=False)
    console.print(f"Works once, for {minutes} minutes. Hand it to the lead privately.")
