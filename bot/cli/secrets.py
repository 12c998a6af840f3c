"""`sightline secrets …`: the key that encrypts Slack tokens at rest."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.context import STATE, console, print_json
from bot.secret_box import SecretBox, generate_key, parse_keys
from bot.settings import SettingsError

app = typer.Typer(help="Secrets at rest: SIGHTLINE_SECRET_KEY.", no_args_is_help=True)


@app.command("generate-key")
def generate_key_command() -> None:
    """Print a new random key for SIGHTLINE_SECRET_KEY (keep it out of the database's backups)."""
    print(generate_key())


@app.command("rotate")
def rotate(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Re-encrypt every stored Slack token with the first key of SIGHTLINE_SECRET_KEY.

    Put the new key first and keep the old one after it (`NEW,OLD`), run this once, then
    drop the old key. Tokens stored before encryption existed are encrypted now.
    """
    from bot.slack.sealed import rotate_tokens  # slack_sdk's stores: OAuth installs only

    settings = STATE.settings
    if settings.secret_key is None:
        raise SettingsError(
            "Setting SIGHTLINE_SECRET_KEY is missing: nothing to rotate to. Generate a key with "
            "`sightline secrets generate-key`."
        )
    box = SecretBox(parse_keys(settings.secret_key.get_secret_value()))
    changed = rotate_tokens(STATE.runtime.engine, box)
    if as_json:
        print_json({"rotated": changed})
        return
    total = sum(changed.values())
    console.print(f"Re-encrypted {total} stored token(s) with the newest key.")
