"""`sightline db …`: schema migrations."""

from __future__ import annotations

import typer

from bot.cli.context import STATE, console
from bot.database import current_revision, head_revision, upgrade

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(
    revision: str = typer.Argument("heads", help="Target revision (default: the newest)."),
) -> None:
    """Create or migrate the database schema (safe to run again)."""
    engine = STATE.runtime.engine
    before = current_revision(engine)
    upgrade(engine, revision)
    after = current_revision(engine)
    where = STATE.settings.database_url_for_logs
    if before == after:
        console.print(f"Database {where} is up to date (revision {after}).")
    else:
        console.print(f"Database {where} migrated from {before or 'empty'} to {after}.")


@app.command("status")
def status_command() -> None:
    """Show the schema revision the database is at, and the newest one."""
    engine = STATE.runtime.engine
    current, head = current_revision(engine), head_revision(engine)
    state = "up to date" if current == head else "needs `sightline db upgrade`"
    console.print(f"current: {current or 'empty'}  newest: {head}  ({state})")
