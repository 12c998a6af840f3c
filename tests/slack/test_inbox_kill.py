"""The durable inbox (issue 14, item 6): `sightline serve` is killed with SIGKILL after it
acknowledged a `/story` and before it stored it; after a restart the story is stored exactly
once and the teller is told. Real processes, the fake Slack Web API, both backends."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.inbox_store import open_inbox_engine
from stories.models import InboxItem, Story
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, fixture, sign

STORY = "The courier left the parcel in the rain and it was ruined for good"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """`sightline serve` in its own process, started and killed at will."""

    def __init__(self, database_url: str, fake: FakeSlackAPI, cwd: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SIGHTLINE_DATABASE_URL": database_url,
            "SIGHTLINE_PORT": str(self.port),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SIGHTLINE_SLACK_API_URL": fake.url,
            "SIGHTLINE_PROMPTS_ENABLED": "false",
            "SIGHTLINE_DATA_JOBS_ENABLED": "false",
            "SIGHTLINE_INBOX_STALE_SECONDS": "1",
        }
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.process = await asyncio.to_thread(
            subprocess.Popen,
            [sys.executable, "-c", "from bot.cli import main; main()", "serve"],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        async with httpx.AsyncClient(base_url=self.url) as client:
            for _ in range(300):
                try:
                    if (await client.get("/healthz", timeout=1)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("sightline serve did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def inbox(engine: Engine) -> Iterator[Engine]:
    """Where the inbox rows are: the main database, or on SQLite the file beside it."""
    own = open_inbox_engine(engine)
    yield own
    if own is not engine:
        own.dispose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as api:
        yield api


async def _story_command(server: Server, fake: FakeSlackAPI, key: str) -> httpx.Response:
    payload: dict[str, Any] = fixture("slash_command")
    payload.update(
        text=STORY,
        trigger_id=f"{key}.trigger",
        response_url=fake.response_url(key),
        channel_id="C0PUBLIC1",
    )
    body = urlencode(payload)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        return await client.post("/slack/events", content=body, headers=headers)


async def _finished(engine: Engine) -> InboxItem:
    """The one inbox row, once its work is done (the listener finishes after replying)."""
    for _ in range(200):
        with Session(engine) as session:
            [item] = session.exec(select(InboxItem)).all()
        if item.done_at is not None:
            return item
        await asyncio.sleep(0.05)
    raise AssertionError("the replayed request was never finished")


def _count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


async def test_a_story_acknowledged_before_a_kill_is_stored_once_after_restart(
    database_url: str, engine: Engine, inbox: Engine, fake: FakeSlackAPI, tmp_path: Path
) -> None:
    # The capture looks up the channel before it stores: hold that call, kill meanwhile.
    fake.delay("conversations.info", 5.0)
    server = Server(database_url, fake, tmp_path)
    await server.start()
    try:
        acked = await _story_command(server, fake, "k1")
        assert acked.status_code == 200
        await fake.wait_for("conversations.info", 1, timeout=10)  # acknowledged, working
        server.kill()
        assert _count(engine, Story) == 0
        with Session(inbox) as session:
            [item] = session.exec(select(InboxItem)).all()
        assert item.done_at is None
        assert "courier+left+the+parcel" in item.body  # kept until the work is done

        fake.delay("conversations.info", 0.0)
        await server.start()
        told = await fake.wait_for("response_url", 1, timeout=20)
        assert "Story saved" in str(told[-1].json)
        item = await _finished(inbox)  # the replayed work ran to its end
        assert _count(engine, Story) == 1
        assert item.attempts == 2
        assert item.body == ""  # the raw request (unredacted text) is gone

        # A second identical delivery is recognised: nothing is stored twice.
        again = await _story_command(server, fake, "k1")
        assert again.status_code == 200
        assert _count(engine, Story) == 1
    finally:
        server.stop()


async def test_a_retry_reaching_another_replica_is_recognised_in_the_database(
    make_harness: Any, inbox: Engine
) -> None:
    """Two replicas share the database: an event delivered to one and retried to the other
    runs once (the event id is recorded before either acknowledges it)."""
    first = await make_harness()
    second = await make_harness()
    event = fixture("app_home_opened")
    assert (await first.event(event)).status_code == 200
    await first.fake.wait_for("views.publish")
    await first.platform.listeners.drain()
    assert (await second.event(event, retry=1)).status_code == 200
    await second.platform.listeners.drain()
    assert len(first.fake.calls_to("views.publish")) == 1
    with Session(inbox) as session:
        [item] = session.exec(select(InboxItem)).all()
    assert item.key == f"event:{event['event_id']}"
    assert (item.done_at is not None, item.body) == (True, "")
