"""`sightline slack …`: the Slack app manifest, ready to paste into api.slack.com."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
import yaml

from bot.cli.context import errors
from bot.settings import ROOT

app = typer.Typer(help="Slack app set-up.", no_args_is_help=True)
MANIFEST_PATH = ROOT / "config" / "slack-manifest.yaml"
EVENTS_PATH = "/slack/events"
REDIRECT_PATH = "/slack/oauth_redirect"


def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a Slack app manifest")
    return data


def fill_manifest(
    manifest: dict[str, Any], *, url: str | None, socket_mode: bool = False, name: str | None = None
) -> dict[str, Any]:
    """The manifest with every request URL pointing at ``url`` (or Socket Mode without any).

    Raises:
        ValueError: ``url`` is not an https:// address (Slack refuses plain http).
    """
    filled = copy.deepcopy(manifest)
    settings = filled.setdefault("settings", {})
    features = filled.setdefault("features", {})
    if name:
        filled["display_information"]["name"] = name
        features.get("bot_user", {})["display_name"] = name
    if socket_mode:
        settings["socket_mode_enabled"] = True
        settings.get("event_subscriptions", {}).pop("request_url", None)
        settings.get("interactivity", {}).pop("request_url", None)
        for command in features.get("slash_commands", []):
            command.pop("url", None)
    if url is None:
        if not socket_mode:
            raise ValueError("give --url https://your.host (or --socket-mode)")
        filled.get("oauth_config", {}).pop("redirect_urls", None)
        return filled
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(f"{url!r} is not an https:// URL; Slack only calls https addresses")
    base = url.rstrip("/")
    if not socket_mode:
        settings.setdefault("event_subscriptions", {})["request_url"] = base + EVENTS_PATH
        settings.setdefault("interactivity", {"is_enabled": True})["request_url"] = (
            base + EVENTS_PATH
        )
        for command in features.get("slash_commands", []):
            command["url"] = base + EVENTS_PATH
    filled.setdefault("oauth_config", {})["redirect_urls"] = [base + REDIRECT_PATH]
    return filled


@app.command("manifest")
def manifest_command(
    url: Annotated[
        str | None,
        typer.Option("--url", help="Public https:// address of this server (HTTP mode)."),
    ] = None,
    socket_mode: Annotated[
        bool, typer.Option("--socket-mode", help="No public URL: Slack connects by WebSocket.")
    ] = False,
    name: Annotated[str | None, typer.Option("--name", help="App name shown in Slack.")] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="yaml or json (both are accepted by Slack).")
    ] = "yaml",
) -> None:
    """Print the Slack app manifest with your request URLs filled in."""
    try:
        filled = fill_manifest(load_manifest(), url=url, socket_mode=socket_mode, name=name)
    except ValueError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if output_format == "json":
        sys.stdout.write(json.dumps(filled, indent=2) + "\n")
    else:
        sys.stdout.write(yaml.safe_dump(filled, sort_keys=False, allow_unicode=True))
