"""Prompts from real `sightline serve` processes: their own scheduler, on the wall clock.

Each test starts `sightline serve` as a subprocess against the local fake Slack Web API
(tests/fakes/slack_api.py), adds departments due a few seconds ahead (prompt times are whole
minutes, so a test waits for the next minute boundary at least a few seconds away) and
measures the first post against the due time. The figures are printed (run with ``-s``);
the bounds asserted only catch the old one-minute interval and the old ten-minute claim
timeout, precision itself is measured by ``make bench``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from stories.capture import StoryDraft, capture_story
from stories.clock import SystemClock
from stories.models import DeliveryStatus, Department, Platform, PromptDelivery, SourceKind
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


def ledger(engine: Engine) -> list[PromptDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(PromptDelivery).order_by(col(PromptDelivery.id))))


async def wait_until(condition: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
    """Wait for a condition with a deadline, checked every 100 ms."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


def prompt_posts(fake: FakeSlackAPI) -> list[float]:
    """Arrival times of the prompts posted (thread replies and DMs are not prompts)."""
    return [
        call.at
        for call in fake.calls_to("chat.postMessage")
        if "metadata" in call.params and "thread_ts" not in call.params
    ]


async def test_a_served_prompt_is_posted_at_its_due_second(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    if "sqlite" not in database_url:
        pytest.skip("one replica on the embedded database; two on PostgreSQL below")
    async with FakeSlackAPI(valid_tokens={TOKEN}, clock=time.time) as fake:
        with serving(tmp_path, database_url, fake, "solo"):
            # Added while the scheduler runs: it must notice the new schedule by itself.
            due = next_due_minute()
            seed(engine, 1, due)
            await wait_until(lambda: bool(prompt_posts(fake)), timeout=90)
    lateness = prompt_posts(fake)[0] - due.timestamp()
    print(f"\nsightline serve, one replica: first post {lateness:+.3f} s after its due time")
    assert -0.5 <= lateness < 15  # the old 60 s interval posted 27-39 s late
    [row] = ledger(engine)
    assert (row.status, row.occurrence_at) == (DeliveryStatus.SENT, due)


async def test_a_killed_replicas_claims_are_taken_over_within_the_lease(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    if "postgresql" not in database_url:
        pytest.skip("two serving replicas share PostgreSQL")
    departments, lease = 40, 3
    leases = {
        "SIGHTLINE_PROMPT_LEASE_SECONDS": str(lease),
        "SIGHTLINE_PROMPT_HEARTBEAT_SECONDS": "0.5",
        "SIGHTLINE_SLACK_POST_RATE": "8",  # the workspace's, shared by both: no 1/N share
    }
    async with FakeSlackAPI(valid_tokens={TOKEN}, clock=time.time) as fake:
        fake.enforce_rate("chat.postMessage", 8)  # a 40-channel fan-out takes ~5 s
        with (
            serving(tmp_path, database_url, fake, "replica-a", **leases) as a,
            serving(tmp_path, database_url, fake, "replica-b", **leases),
        ):
            due = next_due_minute()
            channels = seed(engine, departments, due)
            await wait_until(lambda: len(prompt_posts(fake)) >= 6, timeout=90)
            a.send_signal(signal.SIGKILL)  # mid fan-out: no shutdown, no last words
            a.wait()
            killed = time.time()
            orphans = [
                r.id
                for r in ledger(engine)
                if r.claimed_by == "replica-a" and r.status == DeliveryStatus.CLAIMED
            ]

            def all_sent() -> bool:
                return all(r.status == DeliveryStatus.SENT for r in ledger(engine)) and (
                    len(ledger(engine)) == departments
                )

            await wait_until(all_sent, timeout=60)
            settled = time.time()
    first = min(prompt_posts(fake)) - due.timestamp()
    print(
        f"\ntwo replicas, one SIGKILLed mid fan-out: first post {first:+.3f} s after due; "
        f"{len(orphans)} claims orphaned; all delivered {settled - killed:.1f} s after the kill"
    )
    posted = Counter(channel for channel, _ts in fake.messages)
    assert fake.ceilings["chat.postMessage"].rejected == 0  # one rate, shared
    assert sorted(posted) == sorted(channels)  # none lost
    assert set(posted.values()) == {1}  # none twice
    rows = {r.id: r for r in ledger(engine)}
    assert orphans, "replica-a held no claim when it was killed; kill it earlier"
    assert {rows[i].claimed_by for i in orphans} == {"replica-b"}  # taken over
    assert settled - killed < 30  # the target; the old timeout took ten minutes
    assert -0.5 <= first < 15
