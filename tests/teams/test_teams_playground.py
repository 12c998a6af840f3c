"""End to end through Microsoft 365 Agents Playground (Microsoft's local Teams client).

Skipped only when npm is unavailable. The package is installed into a temporary folder and
run headless (TEAMSAPPTESTER_BROWSER=none) against the bot in anonymous mode.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.runtime import build_runtime
from bot.server import build_web_app
from bot.settings import load_settings
from bot.teams import TeamsPlatform
from stories.clock import FixedClock
from stories.models import SourceKind, Story

PACKAGE = "@microsoft/m365agentsplayground@0.2.28"
pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not available")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def playground_cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("playground")
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(folder), PACKAGE],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return folder / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"


async def test_story_sent_in_playground_personal_chat_is_stored(
    playground_cli: Path, engine: Engine, clock: FixedClock
) -> None:
    runtime = build_runtime(
        load_settings(_env_file=None, teams_allow_anonymous=True), engine=engine, clock=clock
    )
    runner = web.AppRunner(build_web_app(runtime, platforms=[TeamsPlatform(runtime)]))
    await runner.setup()
    bot_port, play_port = _free_port(), _free_port()
    await web.TCPSite(runner, "127.0.0.1", bot_port).start()
    env = {**os.environ, "TEAMSAPPTESTER_BROWSER": "none"}
    endpoint = f"http://127.0.0.1:{bot_port}/api/messages"
    process = await asyncio.create_subprocess_exec(
        "node",
        str(playground_cli),
        "-e",
        endpoint,
        "-c",
        "msteams",
        "-p",
        str(play_port),
        env=env,
        cwd=playground_cli.parents[3],  # it writes devTools/ logs into its working dir
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{play_port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            for _ in range(100):
                try:
                    config = (await client.get("/_internal/v1/config")).json()["config"]
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
            else:
                pytest.fail("Agents Playground did not start")
            chat = config["personalChat"]["id"]
            user = config["currentUser"]
            text = "story The playground customer loved the export"
            response = await client.post(
                f"/_conversation/v1/conversations/{chat}/messages",
                json={
                    "type": "message",
                    "text": text,
                    "textFormat": "plain",
                    "locale": "en-US",
                    "from": {
                        "id": user["id"],
                        "name": user["name"],
                        "aadObjectId": user["aadObjectId"],
                    },
                    "conversation": {"id": chat},
                    "channelId": "msteams",
                    "attachments": [],
                    "entities": [],
                    "channelData": {},
                },
            )
            assert response.status_code == 200, response.text
        for _ in range(50):
            with Session(engine) as session:
                stories = session.exec(select(Story)).all()
            if stories:
                break
            await asyncio.sleep(0.1)
        assert [(s.text, s.source_kind) for s in stories] == [
            ("The playground customer loved the export", SourceKind.TEAMS_MESSAGE)
        ]
    finally:
        process.terminate()
        await process.wait()
        await runner.cleanup()
