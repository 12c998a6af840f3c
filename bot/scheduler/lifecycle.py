"""The scheduler's lifecycle: the APScheduler job that repeats the roster refresh, and
starting and stopping the scheduler with the aiohttp server.

APScheduler is imported only when the jobs start, so building a scheduler (the CLI's
`prompts send`, a chat command's manual send) never loads it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)


def start_jobs(*, refresh_rosters: Callable[[], Awaitable[object]]) -> AsyncIOScheduler:
    """Start the daily roster refresh on the running event loop (first run at once).

    The prompt sweep is not an APScheduler job: it wakes at each due occurrence
    (`bot.scheduler.wakeups`).

    Args:
        refresh_rosters: one refresh of every department's roster.

    Returns:
        The running APScheduler, for the caller to shut down.
    """
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        _roster_job,
        IntervalTrigger(hours=24),
        args=(refresh_rosters,),
        id="roster-refresh",
        next_run_time=datetime.now(UTC),  # APScheduler runs on the wall clock
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


async def _roster_job(refresh_rosters: Callable[[], Awaitable[object]]) -> None:
    try:
        await refresh_rosters()
    except Exception:  # tomorrow's run tries again; never let the job die
        logger.exception("department roster refresh failed")
