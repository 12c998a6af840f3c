"""`sightline serve` as real processes against the fake Slack Web API, on the wall clock.

Shared by the real-process tests (tests/test_serve_prompts.py) and the prompt timing
benchmark (bench/prompt_timing.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from stories.capture import StoryDraft, capture_story
from stories.clock import SystemClock
from stories.models import Department, Platform, SourceKind
from stories.redaction import Redactor
from stories.workspaces import ensure_workspace
from tests.fakes.slack_api import TEAM_ID, FakeSlackAPI

TOKEN = "xoxb-serve-test"
LEAD_SECONDS = 6  # a department is due at the next minute at least this far ahead


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(
    tmp_path: Path, database_url: str, fake: FakeSlackAPI, name: str, **extra: str
) -> Iterator[subprocess.Popen[bytes]]:
    """One `sightline serve` process; its log goes to ``tmp_path/<name>.log``."""
    port = _free_port()
    env = {
        **os.environ,
        "SIGHTLINE_DATABASE_URL": database_url,
        "SIGHTLINE_PORT": str(port),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "serve-test-secret",
        "SIGHTLINE_SLACK_API_URL": fake.url,
        "SIGHTLINE_SCHEDULER_INSTANCE": name,
        "SIGHTLINE_LOG_LEVEL": "INFO",
        **extra,
    }
    log = (tmp_path / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_healthy(process, port)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def _wait_healthy(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"sightline serve did not start (exit code {process.poll()})")


def next_due_minute(lead_seconds: float = LEAD_SECONDS) -> datetime:
    """The next whole minute (UTC) at least ``lead_seconds`` from now."""
    soon = datetime.now(UTC) + timedelta(seconds=lead_seconds)
    return soon.replace(second=0, microsecond=0) + timedelta(minutes=1)


def seed(engine: Engine, departments: int, due: datetime) -> list[str]:
    """A Slack workspace, one shared story and ``departments`` departments due at ``due``;
    returns their channels."""
    clock = SystemClock()
    channels = [f"C{n:06d}" for n in range(departments)]
    with Session(engine) as session:
        workspace = ensure_workspace(
            session=session, clock=clock, platform=Platform.SLACK, external_id=TEAM_ID, name="S"
        )
        capture_story(
            session=session,
            clock=clock,
            redactor=Redactor(default_region="GB"),
            draft=StoryDraft(
                workspace_id=workspace.id or 0,
                text="A customer was charged twice and waited a month for the refund.",
                source_kind=SourceKind.CLI,
                touchpoint="billing",
                shared=True,
                created_at=clock.now() - timedelta(days=1),
            ),
        )
        session.add_all(
            Department(
                workspace_id=workspace.id or 0,
                name=f"Team {n:03d}",
                name_key=f"team {n:03d}",
                slack_channel_id=channel,
                timezone="UTC",
                prompt_time=f"{due:%H:%M}",
                prompt_days="mon,tue,wed,thu,fri,sat,sun",
                created_at=clock.now(),
            )
            for n, channel in enumerate(channels)
        )
        session.commit()
    return channels


def prompt_posts(fake: FakeSlackAPI) -> list[float]:
    """Arrival times of the prompts posted (thread replies and DMs are not prompts)."""
    return [
        call.at
        for call in fake.calls_to("chat.postMessage")
        if "metadata" in call.params and "thread_ts" not in call.params
    ]
