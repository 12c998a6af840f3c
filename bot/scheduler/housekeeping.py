"""The data jobs (README "Privacy and data"), started and stopped with the server.

Every hour, the first time five minutes after start: purge workspaces removed past their
grace period (``purge_removed``) and apply retention (``retention``). Each job claims its work per
workspace and UTC day, or is idempotent, so replicas sharing a database do it once.
APScheduler is imported only when the jobs start.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.runtime import Runtime
from bot.scheduler.purge_removed import purge_removed
from bot.scheduler.retention import apply_retention

if TYPE_CHECKING:
    from aiohttp import web
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)
Job = Callable[[Runtime, str], Awaitable[int]]
FIRST_RUN_AFTER = timedelta(minutes=5)


@dataclass
class DataJobs:
    """Runs the data jobs in order; `run_once()` is one pass, `attach()` repeats it hourly."""

    runtime: Runtime
    instance: str
    jobs: dict[str, Job] = field(default_factory=dict)
    _scheduler: AsyncIOScheduler | None = None

    def __post_init__(self) -> None:
        if not self.jobs:
            self.jobs = {
                "purge": lambda runtime, _instance: purge_removed(runtime),
                "retention": apply_retention,
            }

    async def run_once(self) -> dict[str, int]:
        """Each job once; a failing job is logged and does not stop the others."""
        done: dict[str, int] = {}
        for name, job in self.jobs.items():
            try:
                done[name] = await job(self.runtime, self.instance)
            except Exception:  # the next run tries again
                logger.exception("data job %s failed", name)
        return done

    def attach(self, app: web.Application) -> None:
        async def on_startup(_app: web.Application) -> None:
            from apscheduler.schedulers.asyncio import AsyncIOScheduler
            from apscheduler.triggers.interval import IntervalTrigger

            self._scheduler = AsyncIOScheduler(timezone=UTC)
            self._scheduler.add_job(
                self.run_once,
                IntervalTrigger(hours=1),
                id="data-jobs",
                # Not at once: a server that restarts does not need it, and the start of a
                # process is busy enough (migrations, the first prompt sweep).
                next_run_time=datetime.now(UTC) + FIRST_RUN_AFTER,
                max_instances=1,
                coalesce=True,
            )
            self._scheduler.start()

        async def on_cleanup(_app: web.Application) -> None:
            if self._scheduler is not None:
                self._scheduler.shutdown(wait=False)
                self._scheduler = None

        app.on_startup.append(on_startup)
        app.on_cleanup.append(on_cleanup)
