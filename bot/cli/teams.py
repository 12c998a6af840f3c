"""`sightline teams …`: build the Teams app package."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

import typer

app = typer.Typer(
    help="Microsoft Teams: the app package, a credentials check.", no_args_is_help=True
)
TEMPLATE = Path(__file__).resolve().parents[2] / "config" / "teams" / "manifest.template.json"
COLOR = (0x2F, 0x5F, 0xD0, 255)


def render_manifest(*, app_id: str, url: str) -> dict[str, Any]:
    """The manifest with the bot's app id and the public site filled in."""
    base = url.rstrip("/")
    domain = urlparse(base).netloc or base
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in {"APP_ID": app_id, "URL": base, "DOMAIN": domain}.items():
        text = text.replace("{{" + key + "}}", value)
    manifest: dict[str, Any] = json.loads(text)
    return manifest


def _icon(size: int, *, outline: bool) -> bytes:
    # Generated at build time: Teams wants a 192x192 colour icon and a 32x32 white outline
    # on a transparent background.
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0) if outline else COLOR)
    draw = ImageDraw.Draw(image)
    inset = size // 4
    box = (inset, inset, size - inset, size - inset)
    if outline:
        draw.ellipse(box, outline=(255, 255, 255, 255), width=max(2, size // 16))
    else:
        draw.ellipse(box, fill=(255, 255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def build_package(*, app_id: str, url: str) -> bytes:
    """A ready-to-upload zip: manifest.json, color.png, outline.png at the root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = render_manifest(app_id=app_id, url=url)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        archive.writestr("color.png", _icon(192, outline=False))
        archive.writestr("outline.png", _icon(32, outline=True))
    return buffer.getvalue()


@app.command("package")
def package(
    app_id: Annotated[str, typer.Option("--app-id", help="Microsoft App ID (the bot's id).")],
    url: Annotated[
        str, typer.Option("--url", help="Public https URL of this deployment.")
    ] = "https://sightline.example.com",
    out: Annotated[Path, typer.Option("--out", help="Zip to write.")] = Path("sightline-teams.zip"),
) -> None:
    """Write the Teams app zip to upload in Teams (Apps > Manage your apps > Upload)."""
    out.write_bytes(build_package(app_id=app_id, url=url))
    typer.echo(f"Wrote {out}")


@app.command("check")
def check(
    login_url: Annotated[
        str | None,
        typer.Option(
            "--login-url", help="Entra ID's address (default: SIGHTLINE_TEAMS_LOGIN_URL)."
        ),
    ] = None,
    identity_url: Annotated[
        str, typer.Option("--identity-url", hidden=True, help="Azure's metadata service.")
    ] = "http://169.254.169.254/metadata/identity/oauth2/token",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Obtain a Bot Framework token with the configured credentials; say what is wrong."""
    from bot.cli.context import STATE, print_json
    from bot.teams_check import check_credentials

    settings = STATE.settings
    login = login_url or str(settings.teams_login_url)
    result = check_credentials(settings, login_url=login, identity_url=identity_url)
    if as_json:
        print_json(
            {"schema": 1, "ok": result.ok, "app_type": result.app_type, "message": result.message}
        )
    else:
        typer.echo(result.message, err=not result.ok)
    raise typer.Exit(0 if result.ok else 1)
