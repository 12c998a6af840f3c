"""The `sightline` command line."""

from __future__ import annotations

import sys

from bot.cli.app import app
from bot.settings import SettingsError
from stories.errors import SightlineError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: known problems become one friendly line and exit status 2."""
    try:
        app(standalone_mode=False)
    except (SettingsError, SightlineError) as exc:
        print(f"sightline: {exc}", file=sys.stderr)
        sys.exit(2)
    except SystemExit:
        raise
    except Exception as exc:  # typer's usage errors arrive here with standalone_mode off
        from click.exceptions import ClickException, Exit

        if isinstance(exc, Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
