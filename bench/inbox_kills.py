"""The durable inbox under fire (issue 14, item 6): `sightline serve` is killed with SIGKILL
straight after it acknowledges each `/story`, N times in a row; every start replays what the
previous process left. Target: zero stories lost, none stored twice.

Each round starts the server (which replays the previous round's request), sends one signed
`/story` with its own text and trigger id, and kills the server the moment Slack's 200
arrives, wherever the work then is (before the store, after it, mid-post). A final start
replays the last one.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func
from sqlmodel import Session, select

SECRET = "bench-signing-secret-0123456789abcdef"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _start(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    process = await asyncio.to_thread(
        subprocess.Popen,
        [sys.executable, "-c", "from bot.cli import main; main()", "serve"],
        cwd=cwd,
        env={**env, "SIGHTLINE_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url) as client:
        for _ in range(600):
            try:
                if (await client.get("/healthz", timeout=1)).status_code == 200:
                    return process, url
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise RuntimeError("sightline serve did not start")


def _signed(round_no: int, response_url: str) -> tuple[str, dict[str, str]]:
    body = urlencode(
        {
            "command": "/story",
            "text": f"Round {round_no}: the courier left parcel {round_no} in the rain",
            "team_id": "T0BENCH01",
            "team_domain": "bench",
            "channel_id": "C0PUBLIC1",
            "channel_name": "general",
            "user_id": "U0BENCH01",
            "user_name": "bench",
            "trigger_id": f"{round_no}.bench.trigger",
            "response_url": response_url,
        }
    )
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": str(signature),
    }
    return body, headers


async def run(database_url: str, kills: int) -> dict[str, Any]:
    from bot.database import create_db_engine
    from bot.inbox_store import open_inbox_engine
    from stories.models import InboxItem, Story
    from tests.fakes.slack_api import FakeSlackAPI

    folder = Path(tempfile.mkdtemp(prefix="sightline-kills-"))
    started = time.perf_counter()
    async with FakeSlackAPI() as fake:
        env = {
            **os.environ,
            "SIGHTLINE_DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SIGHTLINE_SLACK_API_URL": fake.url,
            "SIGHTLINE_PROMPTS_ENABLED": "false",
            "SIGHTLINE_DATA_JOBS_ENABLED": "false",
            "SIGHTLINE_INBOX_STALE_SECONDS": "0.2",
        }
        for round_no in range(1, kills + 1):
            process, url = await _start(env, folder)
            body, headers = _signed(round_no, fake.response_url(f"r{round_no}"))
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                acked = await client.post("/slack/events", content=body, headers=headers)
            process.send_signal(signal.SIGKILL)  # the moment the acknowledgement is in
            await asyncio.to_thread(process.wait)
            if acked.status_code != 200:
                raise RuntimeError(f"round {round_no} was not acknowledged: {acked.status_code}")
        process, _ = await _start(env, folder)  # replays the last round
        engine = create_db_engine(database_url)
        inbox = open_inbox_engine(engine)  # on SQLite, the inbox's own file
        try:
            for _ in range(200):
                with Session(inbox) as session:
                    open_items = session.exec(
                        select(func.count()).select_from(InboxItem).where(InboxItem.done_at == None)  # noqa: E711
                    ).one()
                if open_items == 0:
                    break
                await asyncio.sleep(0.1)
            with Session(engine) as session:
                texts = [s.text for s in session.exec(select(Story))]
            with Session(inbox) as session:
                replays = session.exec(
                    select(func.count()).select_from(InboxItem).where(InboxItem.attempts > 1)
                ).one()
        finally:
            inbox.dispose()
            engine.dispose()
            process.send_signal(signal.SIGINT)
            await asyncio.to_thread(process.wait)
        told = {c["key"] for c in fake.calls_to("response_url")}
    wanted = {f"Round {n}: the courier left parcel {n} in the rain" for n in range(1, kills + 1)}
    return {
        "kills": kills,
        "stored": len(set(texts) & wanted),
        "lost": len(wanted - set(texts)),
        "duplicated": len(texts) - len(set(texts)),
        "replayed": int(replays),
        "told": len(told),
        "seconds": time.perf_counter() - started,
    }


def report(database_urls: dict[str, str], kills: int, *, header: bool = True) -> None:
    if header:
        print(
            f"| Durable inbox: SIGKILL after each ack, {kills} rounds | stored | lost | "
            "stored twice | replayed after a kill | tellers told | seconds |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
    for backend, url in database_urls.items():
        r = asyncio.run(run(url, kills))
        print(
            f"| {backend} | {r['stored']} | {r['lost']} | {r['duplicated']} | {r['replayed']} "
            f"| {r['told']} | {r['seconds']:.0f} |"
        )
