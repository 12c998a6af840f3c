"""`sightline serve`: the long-running bot process."""

from __future__ import annotations

import ipaddress
import logging
from typing import Annotated

import typer
from aiohttp import web

from bot.app import build_sightline
from bot.cli.context import STATE
from bot.database import current_revision, head_revision, upgrade
from bot.logs import configure_logging
from stories.errors import SightlineError

logger = logging.getLogger("sightline")


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: reachable from this machine only."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SchemaOutOfDateError(SightlineError):
    def __init__(self, current: str | None, head: str | None) -> None:
        super().__init__(
            f"The database schema is at {current or 'nothing'}, the code needs {head}: "
            "run `sightline db upgrade` once (not from every replica at the same time)."
        )


class AnonymousTeamsExposedError(SightlineError):
    def __init__(self, host: str) -> None:
        super().__init__(
            f"SIGHTLINE_TEAMS_ALLOW_ANONYMOUS accepts unauthenticated Teams requests, so it only "
            f"runs on the loopback address, not on {host}: set SIGHTLINE_HOST=127.0.0.1, or set "
            "MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD."
        )


def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default SIGHTLINE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default SIGHTLINE_PORT).")] = None,
) -> None:
    """Run the bot: one HTTP server for health, metrics, Slack and Teams."""
    settings = STATE.settings
    bind_host, bind_port = host or settings.host, port or settings.port
    if settings.teams_allow_anonymous and not settings.teams_app_id and not is_loopback(bind_host):
        # Anonymous Teams trusts whoever posts to /api/messages: fine on a laptop, not on a network.
        raise AnonymousTeamsExposedError(bind_host)
    configure_logging(settings)
    runtime = STATE.runtime
    engine = runtime.engine
    if settings.is_sqlite:
        # The embedded default is one process: bring its file up to date on start.
        upgrade(engine)
    elif current_revision(engine) != head_revision(engine):
        # Several replicas share PostgreSQL; migrating is a deliberate, single step.
        raise SchemaOutOfDateError(current_revision(engine), head_revision(engine))
    app = build_sightline(settings, runtime=runtime).web_app()

    def announce(_aiohttp_banner: str) -> None:
        # run_app calls this once the socket is bound: a health check that follows the line
        # finds the port open (logging before run_app raced it).
        logger.info(
            "Sightline listening on http://%s:%d (database %s)",
            bind_host,
            bind_port,
            settings.database_url_for_logs,
        )

    web.run_app(app, host=bind_host, port=bind_port, print=announce, access_log=None)
