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
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from stories.models import DeliveryStatus, PromptDelivery
from tests.fakes.serve_process import TOKEN, next_due_minute, prompt_posts, seed, serving
from tests.fakes.slack_api import FakeSlackAPI


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
