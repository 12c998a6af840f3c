"""Prompt timing (issue 13): how late a due occurrence's first post is, and how long the
claims of a replica killed mid fan-out take to be delivered.

Lateness: the real scheduler (heartbeats, wake-ups) in this process, one or two replicas on
their own engines, each trial a fresh start a few seconds before a minute at which a batch of
departments is due, on a clock that runs in real time from that chosen instant; the first
post's arrival at the fake Slack Web API is measured against the due time.

Recovery: real `sightline serve` processes on PostgreSQL and the wall clock (the next whole
minute), a fan-out paced by the fake's rate ceiling, one replica SIGKILLed after its first
posts. With one replica it is restarted under the same name at once (it recovers its own
claims); with two, the survivor takes the dead one's claims over when their lease expires.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.app import build_senders
from bot.database import create_db_engine
from bot.runtime import build_runtime
from bot.scheduler import PromptConfig, PromptScheduler
from bot.settings import load_settings
from stories.capture import StoryDraft, capture_story
from stories.clock import FixedClock
from stories.models import DeliveryStatus, Department, Platform, PromptDelivery, SourceKind
from stories.redaction import Redactor
from stories.workspaces import ensure_workspace
from tests.fakes.clock import RunningClock
from tests.fakes.serve_process import TOKEN, next_due_minute, prompt_posts, seed, serving
from tests.fakes.slack_api import TEAM_ID, FakeSlackAPI

START = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
LEAD = 2.5  # each trial starts this many seconds before its due minute
UrlFor = Callable[[str], AbstractContextManager[str]]


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def _seed_trials(engine: Engine, trials: int, per_trial: int) -> None:
    """Per trial, ``per_trial`` departments due at its own minute (09:01, 09:02, …)."""
    clock = FixedClock(START - timedelta(days=1))
    with Session(engine) as session:
        ws = ensure_workspace(
            session=session, clock=clock, platform=Platform.SLACK, external_id=TEAM_ID, name="B"
        ).id
        capture_story(
            session=session,
            clock=clock,
            redactor=Redactor(default_region="GB"),
            draft=StoryDraft(
                workspace_id=ws or 0,
                text="A florist was charged twice and her card was declined at the market.",
                source_kind=SourceKind.CLI,
                shared=True,
            ),
        )
        session.add_all(
            Department(
                workspace_id=ws or 0,
                name=f"Team {t:02d}-{n:03d}",
                name_key=f"team {t:02d}-{n:03d}",
                slack_channel_id=f"C{t:02d}{n:04d}",
                timezone="UTC",
                prompt_time=f"09:{t + 1:02d}",
                prompt_days="tue",
                created_at=clock.now(),
            )
            for t in range(trials)
            for n in range(per_trial)
        )
        session.commit()


async def _trial(url: str, engines: list[Engine], fake: FakeSlackAPI, t: int) -> float:
    """One trial: replicas start ``LEAD`` s before minute ``t``; returns the first post's
    lateness in seconds."""
    due = START + timedelta(minutes=t + 1)
    clock = RunningClock(due - timedelta(seconds=LEAD))
    due_wall = time.time() + LEAD
    prefix = f"C{t:02d}"
    replicas = []
    for n, engine in enumerate(engines):
        settings = load_settings(
            _env_file=None,
            database_url=url,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=TOKEN,
            slack_api_url=fake.url,
        )
        runtime = build_runtime(settings, engine=engine, clock=clock)
        config = replace(PromptConfig.from_settings(settings), heartbeat=timedelta(seconds=0.5))
        replicas.append(
            PromptScheduler(runtime, build_senders(runtime), config=config, instance=f"r{n}")
        )
    for scheduler in replicas:
        scheduler.start()
    ours: list[float] = []
    while not ours:
        await asyncio.sleep(0.01)
        ours = [
            c.at
            for c in fake.calls_to("chat.postMessage")
            if str(c.params.get("channel", "")).startswith(prefix)
        ]
    await asyncio.gather(*(s.shutdown() for s in replicas))  # lets the fan-out finish
    return min(ours) - due_wall


def lateness(
    url: str, replicas: int, trials: int, per_trial: int, ceiling: float
) -> dict[str, Any]:
    engines = [create_db_engine(url) for _ in range(replicas)]
    _seed_trials(engines[0], trials, per_trial)

    async def go() -> list[float]:
        async with FakeSlackAPI(valid_tokens={TOKEN}, clock=time.time) as fake:
            fake.enforce_rate("chat.postMessage", ceiling)
            return [await _trial(url, engines, fake, t) for t in range(trials)]

    samples = asyncio.run(go())
    with Session(engines[0]) as session:
        statuses = Counter(r.status for r in session.exec(select(PromptDelivery)))
    for engine in engines:
        engine.dispose()
    return {
        "p50": _percentile(samples, 50),
        "p95": _percentile(samples, 95),
        "max": max(samples),
        "trials": trials,
        "sent": statuses[DeliveryStatus.SENT],
        "expected": trials * per_trial,
    }


async def _recovery_run(
    url: str, replicas: int, departments: int, ceiling: float
) -> dict[str, Any]:
    engine = create_db_engine(url)
    leases = {"SIGHTLINE_PROMPT_LEASE_SECONDS": "5", "SIGHTLINE_PROMPT_HEARTBEAT_SECONDS": "1"}
    leases["SIGHTLINE_SLACK_POST_RATE"] = f"{ceiling:g}"
    folder = Path(tempfile.mkdtemp(prefix="sightline-bench-"))
    async with FakeSlackAPI(valid_tokens={TOKEN}, clock=time.time) as fake:
        fake.enforce_rate("chat.postMessage", ceiling)
        with ExitStack() as stack:
            names = [f"replica-{n}" for n in range(replicas)]
            processes = [
                stack.enter_context(serving(folder, url, fake, n, **leases)) for n in names
            ]
            due = next_due_minute(8)
            channels = seed(engine, departments, due)
            await fake.wait_for("chat.postMessage", departments // 10, timeout=120)
            processes[0].send_signal(signal.SIGKILL)
            processes[0].wait()
            killed = time.time()
            orphans = _held_by(engine, names[0])
            if replicas == 1:  # restarted at once, under the same name
                stack.enter_context(serving(folder, url, fake, names[0], **leases))
            orphans_done = None
            while _settled(engine, None) < departments and time.time() - killed < 300:
                if orphans_done is None and _settled(engine, orphans) == len(orphans):
                    orphans_done = time.time()
                await asyncio.sleep(0.1)
            done = time.time()
        posted = Counter(channel for channel, _ts in fake.messages)
        first = min(prompt_posts(fake)) - due.timestamp()
    engine.dispose()
    return {
        "first": first,
        "orphans": len(orphans),
        "takeover": (orphans_done or done) - killed,
        "recovery": done - killed,
        "lost": len(set(channels) - set(posted)),
        "duplicates": sum(n - 1 for n in posted.values() if n > 1),
        "rejected": fake.ceilings["chat.postMessage"].rejected,
    }


def _held_by(engine: Engine, instance: str) -> list[int]:
    """The claims ``instance`` held unconfirmed (its orphans, once it is dead)."""
    with Session(engine) as session:
        query = select(PromptDelivery.id).where(
            col(PromptDelivery.claimed_by) == instance,
            col(PromptDelivery.status) == DeliveryStatus.CLAIMED,
        )
        return [i for i in session.exec(query) if i is not None]


def _settled(engine: Engine, among: list[int] | None) -> int:
    """How many deliveries (of ``among``; None: all) are sent."""
    with Session(engine) as session:
        query = select(PromptDelivery).where(col(PromptDelivery.status) == DeliveryStatus.SENT)
        if among is not None:
            query = query.where(col(PromptDelivery.id).in_(among))
        return len(session.exec(query).all())


def report(
    url_for: UrlFor, *, trials: int = 20, per_trial: int = 20, ceiling: float = 20.0
) -> None:
    """Print the lateness and recovery tables (Markdown)."""
    print(
        f"| Due → first post, {trials} trials of {per_trial} departments | replicas "
        "| p50 s | p95 s | max s | delivered |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for backend, replicas in (("sqlite", 1), ("postgres", 1), ("postgres", 2)):
        with url_for(backend) as url:
            r = lateness(url, replicas, trials, per_trial, ceiling)
        print(
            f"| {backend} | {replicas} | {r['p50']:.3f} | {r['p95']:.3f} | {r['max']:.3f} "
            f"| {r['sent']}/{r['expected']} |"
        )
    departments = 200
    print()
    print(
        f"| Replica SIGKILLed mid fan-out, {departments} channels, ceiling {ceiling:g}/s "
        "| replicas | first post s | orphaned claims | kill → orphans delivered s "
        "| kill → all delivered s | lost | duplicates | 429s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for replicas in (1, 2):
        with url_for("postgres") as url:
            r = asyncio.run(_recovery_run(url, replicas, departments, ceiling))
        how = "restarted at once" if replicas == 1 else "survivor takes over"
        print(
            f"| postgres, {how} | {replicas} | {r['first']:.3f} | {r['orphans']} "
            f"| {r['takeover']:.1f} | {r['recovery']:.1f} "
            f"| {r['lost']} | {r['duplicates']} | {r['rejected']} |"
        )
