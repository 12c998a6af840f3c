"""Prompt fan-out (issue 4): one occurrence to 2,000 department channels through a local fake
Slack Web API that enforces a workspace rate and answers 429 with Retry-After beyond it.

Reports the achieved rate as a fraction of the ceiling (target >= 0.95), lost deliveries
and duplicates (targets 0), with one replica and with two replicas sharing PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from bot.app import build_senders
from bot.database import create_db_engine
from bot.runtime import build_runtime
from bot.scheduler import PromptScheduler
from bot.settings import load_settings
from stories.capture import StoryDraft, capture_story
from stories.clock import FixedClock
from stories.models import DeliveryStatus, Department, Platform, PromptDelivery, SourceKind
from stories.workspaces import ensure_workspace
from tests.fakes.slack_api import TEAM_ID, FakeSlackAPI

TOKEN = "xoxb-bench"
WHEN = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # a Tuesday, 10:00 UTC


def _seed(engine: Engine, departments: int) -> None:
    clock = FixedClock(WHEN)
    with Session(engine) as session:
        ws = ensure_workspace(
            session=session, clock=clock, platform=Platform.SLACK, external_id=TEAM_ID, name="B"
        ).id
        assert ws is not None
        capture_story(
            session=session,
            clock=clock,
            redactor=build_runtime(load_settings(_env_file=None), engine=engine).redactor,
            draft=StoryDraft(
                workspace_id=ws,
                text="A florist was charged twice and her card was declined at the market.",
                source_kind=SourceKind.CLI,
                touchpoint="billing",
                shared=True,
            ),
        )
        now = clock.now()
        session.add_all(
            Department(
                workspace_id=ws,
                name=f"Finance {n:04d}",
                name_key=f"finance {n:04d}",
                slack_channel_id=f"C{n:06d}",
                timezone="UTC",
                prompt_time="10:00",
                prompt_days="tue",
                created_at=now,
            )
            for n in range(departments)
        )
        session.commit()


async def _run(
    database_url: str, engines: list[Engine], fake: FakeSlackAPI, ceiling: float
) -> dict[str, Any]:
    schedulers = []
    for n, engine in enumerate(engines):
        settings = load_settings(
            _env_file=None,
            database_url=database_url,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=TOKEN,
            slack_api_url=fake.url,
            # The workspace's allowance, the same on every replica: they share it.
            slack_post_rate=ceiling,
        )
        runtime = build_runtime(settings, engine=engine, clock=FixedClock(WHEN))
        senders = build_senders(runtime)  # what `sightline prompts send` builds
        schedulers.append(PromptScheduler(runtime, senders, instance=f"replica-{n}"))
    started = time.perf_counter()
    await asyncio.gather(*(s.sweep_once() for s in schedulers))
    elapsed = time.perf_counter() - started
    return {"elapsed": elapsed}


def measure(database_url: str, replicas: int, departments: int, ceiling: float) -> dict[str, Any]:
    engines = [create_db_engine(database_url) for _ in range(replicas)]
    _seed(engines[0], departments)

    async def go() -> dict[str, Any]:
        async with FakeSlackAPI(valid_tokens={TOKEN}) as fake:
            fake.enforce_rate("chat.postMessage", ceiling)
            result = await _run(database_url, engines, fake, ceiling)
            posted = Counter(channel for channel, _ts in fake.messages)
            result["duplicates"] = sum(n - 1 for n in posted.values() if n > 1)
            result["posted"] = len(posted)
            result["rejected"] = fake.ceilings["chat.postMessage"].rejected
            return result

    result = asyncio.run(go())
    with Session(engines[0]) as session:
        sent = session.exec(
            select(func.count())
            .select_from(PromptDelivery)
            .where(col(PromptDelivery.status) == DeliveryStatus.SENT)
        ).one()
    for engine in engines:
        engine.dispose()
    rate = result["posted"] / result["elapsed"]
    return {
        **result,
        "sent": sent,
        "lost": departments - sent,
        "rate": rate,
        "fraction": rate / ceiling,
    }


def report(
    database_url_for: Any, *, departments: int = 2000, ceiling: float = 20.0
) -> list[dict[str, Any]]:
    """Run one replica on SQLite, then one and two replicas on PostgreSQL."""
    rows = []
    for backend, replicas in (("sqlite", 1), ("postgres", 1), ("postgres", 2)):
        with database_url_for(backend) as url:
            row = measure(url, replicas, departments, ceiling)
        rows.append({"backend": backend, "replicas": replicas, **row})
    print(
        f"| Prompt fan-out, {departments:,} channels, ceiling {ceiling:g}/s | replicas | "
        "seconds | rate/s | of ceiling | 429s | lost | duplicates |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['backend']} | {r['replicas']} | {r['elapsed']:.1f} | {r['rate']:.2f} "
            f"| {r['fraction']:.3f} | {r['rejected']} | {r['lost']} | {r['duplicates']} |"
        )
    return rows
