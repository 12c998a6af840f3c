"""Typer application and its sub-commands."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli import (
    dashboard,
    db,
    departments,
    members,
    playground,
    prompts,
    secrets,
    serve,
    slack,
    stories,
    summary,
    teams,
    workspace_data,
)
from bot.cli.context import STATE
from bot.cli.workspaces import leads_app, workspaces_app

app = typer.Typer(
    name="sightline",
    help="Sightline: real customer stories where your company talks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(stories.app, name="stories")
app.add_typer(departments.app, name="departments")
app.add_typer(slack.app, name="slack")
app.add_typer(prompts.app, name="prompts")
app.add_typer(teams.app, name="teams")
app.add_typer(playground.app, name="playground")
app.add_typer(secrets.app, name="secrets")
app.add_typer(members.app, name="members")
workspace_data.register(workspaces_app)
app.add_typer(workspaces_app, name="workspaces")
app.add_typer(leads_app, name="leads")
app.add_typer(dashboard.app, name="dashboard")
app.command("serve")(serve.serve)
app.command("demo-data")(stories.demo_data)
app.command("summary")(summary.summary)


@app.callback()
def _root(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Database to use (default: SIGHTLINE_DATABASE_URL, else ./var/sightline.db).",
            show_default=False,
        ),
    ] = None,
) -> None:
    STATE.database_url = database_url
