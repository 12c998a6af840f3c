"""The `sightline` command line."""

from __future__ import annotations

import sys

from bot.cli.app import app
from bot.settings import SettingsError
from stories.errors import SightlineError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: known problems become one friendly line and exit status 2.

    Typer's standalone mode already turns usage errors into a short message; only
    Sightline's own errors reach this handler.
    """
    try:
        app()
    except (SettingsError, SightlineError) as exc:
        print(f"sightline: {exc}", file=sys.stderr)
        sys.exit(2)
