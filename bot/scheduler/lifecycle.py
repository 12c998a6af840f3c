"""The scheduler's lifecycle: the APScheduler jobs that repeat the sweep and the roster
refresh, and starting and stopping them with the aiohttp server.

APScheduler is imported only when the jobs start, so building a scheduler (the CLI's
`prompts send`, a chat command's manual send) never loads it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.scheduler.report import SweepReport

if TYPE_CHECKING:
    from aiohttp import web
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)


def start_jobs(
    *,
    sweep: Callable[[], Awaitable[SweepReport]],
    refresh_rosters: Callable[[], Awaitable[object]],
    sweep_interval: timedelta,
) -> AsyncIOScheduler:
    """Start both jobs on the running event loop; each runs once at once, then repeats.

    Args:
        sweep: one prompt sweep.
        refresh_rosters: one refresh of every department's roster.
        sweep_interval: how often the sweep repeats.

    Returns:
        The running APScheduler, for the caller to shut down.
    """
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        _sweep_job,
        IntervalTrigger(seconds=sweep_interval.total_seconds()),
        args=(sweep,),
        id="prompt-sweep",
        next_run_time=datetime.now(UTC),  # APScheduler runs on the wall clock
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.add_job(
        _roster_job,
        IntervalTrigger(hours=24),
        args=(refresh_rosters,),
        id="roster-refresh",
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler


def attach(
    app: web.Application, *, start: Callable[[], None], shutdown: Callable[[], Awaitable[None]]
) -> None:
    """Run ``start`` when the aiohttp server starts and ``shutdown`` when it stops."""

    async def on_startup(_app: web.Application) -> None:
        start()

    async def on_cleanup(_app: web.Application) -> None:
        await shutdown()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)


async def _sweep_job(sweep: Callable[[], Awaitable[SweepReport]]) -> None:
    try:
        report = await sweep()
    except Exception:  # the next sweep tries again; never let the job die
        logger.exception("prompt sweep failed")
        return
    if report.sent or report.failed or report.missed or report.recovered:
        logger.info("prompt sweep: %s", report)


async def _roster_job(refresh_rosters: Callable[[], Awaitable[object]]) -> None:
    try:
        await refresh_rosters()
    except Exception:  # tomorrow's run tries again; never let the job die
        logger.exception("department roster refresh failed")
