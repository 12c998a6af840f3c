"""`sightline playground …`: Microsoft 365 Agents Playground, a local Teams client.

`make run` (scripts/run.sh) uses these commands when no Slack or Microsoft credentials are
configured: Sightline then serves Teams anonymously and the Playground, installed once from npm
into ./.playground, lets a newcomer chat with it at http://localhost:56150.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.context import STATE
from bot.settings import Settings, slack_mode
from stories.errors import SightlineError

app = typer.Typer(
    help="Microsoft 365 Agents Playground: chat with Sightline locally, no Microsoft account.",
    no_args_is_help=True,
)

PACKAGE = "@microsoft/m365agentsplayground"
VERSION = "0.2.28"  # pinned: the tests drive its HTTP and websocket API, which is not public
FOLDER = Path(".playground")  # ignored by git; shared by `make run` and the test suite
PORT = 56150  # the Playground's own default; Agents Toolkit documents this address

FolderOpt = Annotated[Path, typer.Option("--folder", help="Where the npm package is installed.")]


class PlaygroundError(SightlineError):
    """The Playground cannot be installed or started; the message says what to do."""


def cli_path(folder: Path) -> Path:
    """The Playground's entry point inside ``folder``."""
    return folder / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"


def installed_version(folder: Path) -> str | None:
    """The version installed in ``folder``, or None."""
    manifest = cli_path(folder).parent / "package.json"
    try:
        version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
    return str(version) if version else None


def ensure_installed(folder: Path = FOLDER, *, quiet: bool = False) -> Path:
    """Install the pinned Playground into ``folder`` unless that version is already there.

    Args:
        folder: the npm prefix (created when missing).
        quiet: hide npm's output (the tests); `make run` shows it.

    Returns:
        The path of the Playground's cli.js.

    Raises:
        PlaygroundError: npm is missing or the install failed.
    """
    if installed_version(folder) == VERSION:
        return cli_path(folder)
    npm = shutil.which("npm")
    if npm is None:
        raise PlaygroundError(
            "npm is not installed: install Node.js 20 or later to use the Agents Playground"
        )
    folder.mkdir(parents=True, exist_ok=True)
    arguments = ["install", "--no-audit", "--no-fund", "--save-exact", "--prefix", str(folder)]
    result = subprocess.run(  # noqa: S603  (fixed arguments, no shell)
        [npm, *arguments, f"{PACKAGE}@{VERSION}"],
        capture_output=quiet,
        text=True,
        check=False,
    )
    if result.returncode != 0 or installed_version(folder) != VERSION:
        detail = (result.stderr or "").strip().splitlines()[-1:] if quiet else []
        raise PlaygroundError(
            f"npm could not install {PACKAGE}@{VERSION} into {folder}"
            + (f": {detail[0]}" if detail else "")
        )
    return cli_path(folder)


def command(cli: Path, *, bot_url: str, port: int = PORT) -> list[str]:
    """The command line that starts the Playground against ``bot_url`` as a Teams client."""
    return [
        "node",
        str(cli),
        "--app-endpoint",
        bot_url,
        "--channel-id",
        "msteams",
        "--port",
        str(port),
        "--disable-telemetry",
    ]


def environment(*, open_browser: bool) -> dict[str, str]:
    """The Playground opens a browser unless TEAMSAPPTESTER_BROWSER is "none"."""
    env = dict(os.environ)
    if not open_browser:
        env["TEAMSAPPTESTER_BROWSER"] = "none"
    return env


def local_bot_url(settings: Settings) -> str:
    """Where this machine's `sightline serve` answers Teams."""
    host = settings.host if settings.host not in ("0.0.0.0", "::", "") else "127.0.0.1"  # noqa: S104
    if ":" in host:  # an IPv6 address goes in brackets in a URL
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/api/messages"


def has_credentials(settings: Settings) -> bool:
    """Slack or Microsoft credentials are configured: `make run` then only serves."""
    return slack_mode(settings) is not None or bool(settings.teams_app_id)


@app.command("needed")
def needed() -> None:
    """Exit 0 when no chat credentials are configured (start the Playground), else 1."""
    if has_credentials(STATE.settings):
        typer.echo("Chat credentials are configured: the Agents Playground is not needed.")
        raise typer.Exit(1)
    typer.echo("No Slack or Microsoft credentials: Teams runs anonymously for the Playground.")


@app.command("install")
def install(folder: FolderOpt = FOLDER) -> None:
    """Install the pinned Playground from npm into the folder (once)."""
    typer.echo(f"Agents Playground {VERSION} in {ensure_installed(folder).parent}")


@app.command("start")
def start(
    bot_url: Annotated[
        str | None,
        typer.Option(
            "--bot-url", help="The bot's messaging endpoint (default: this machine's serve)."
        ),
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Port of the Playground's page.")] = PORT,
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the page in a browser.")
    ] = False,
    folder: FolderOpt = FOLDER,
) -> None:
    """Install if needed, then run the Playground in this process until it is stopped."""
    cli = ensure_installed(folder)
    node = shutil.which("node")
    if node is None:
        raise PlaygroundError("node is not on PATH: install Node.js 20 or later")
    args = command(cli.resolve(), bot_url=bot_url or local_bot_url(STATE.settings), port=port)
    typer.echo(f"Agents Playground: http://localhost:{port} (chatting with {args[3]})")
    # It writes its logs to ./devTools: keep them inside the ignored folder. Replacing this
    # process means a plain `kill` from scripts/run.sh stops the Playground itself.
    os.chdir(folder)
    os.execve(node, args, environment(open_browser=open_browser))  # noqa: S606
