"""`PromptScheduler`: owns what the jobs share and runs them, one sweep at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.delivery import PromptSender
from bot.runtime import Runtime
from bot.scheduler import leads, lifecycle, recovery, reminders, rosters, sweep
from bot.scheduler.config import PromptConfig, default_instance_name
from bot.scheduler.context import SchedulerContext
from bot.scheduler.report import DeliveryOutcome, SweepReport
from bot.scheduler.sweep import DueOccurrence
from stories.prompt_ledger import record_sweep
from stories.prompt_library import sync_library

if TYPE_CHECKING:
    from aiohttp import web
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)


class PromptScheduler:
    """Runs prompt sweeps; `sweep_once()` is the whole job, `start()` repeats it.

    It owns the state every job shares (runtime, senders, config, instance name) and the
    lock that keeps one sweep at a time; the jobs themselves live in `bot.scheduler.sweep`,
    `recovery`, `reminders`, `leads` and `rosters`.
    """

    def __init__(
        self,
        runtime: Runtime,
        senders: Mapping[str, PromptSender],
        *,
        config: PromptConfig | None = None,
        instance: str | None = None,
    ) -> None:
        self._context = SchedulerContext(
            runtime=runtime,
            senders=dict(senders),
            config=config or PromptConfig.from_settings(runtime.settings),
            instance=instance or runtime.settings.scheduler_instance or default_instance_name(),
        )
        self._lock = asyncio.Lock()
        self._library_synced = False
        self._scheduler: AsyncIOScheduler | None = None

    @property
    def runtime(self) -> Runtime:
        return self._context.runtime

    @property
    def senders(self) -> Mapping[str, PromptSender]:
        return self._context.senders

    @property
    def config(self) -> PromptConfig:
        return self._context.config

    @property
    def instance(self) -> str:
        return self._context.instance

    # --- the sweep ------------------------------------------------------------------------

    async def sweep_once(self) -> SweepReport:
        """One sweep: plan and send due prompts, recover stale claims, remind, tell leads.

        Returns:
            What the sweep did. It ends with a heartbeat, so the next sweep of any replica
            starts where this one ended.
        """
        ctx = self._context
        async with self._lock:
            report = SweepReport()
            if not self._library_synced:
                await ctx.runtime.run(
                    lambda session: sync_library(session=session, prompts=ctx.config.library)
                )
                self._library_synced = True
            now = ctx.runtime.clock.now()
            since = await ctx.runtime.run(lambda session: sweep.window_start(ctx, session, now))
            due = await ctx.runtime.run(
                lambda session: sweep.plan(ctx, session, since, now, report)
            )
            await sweep.deliver_all(ctx, due, report)
            await recovery.recover_stale(ctx, report)
            await reminders.send_reminders(ctx, report)
            await leads.notify_failures(ctx, now, report)
            await leads.send_digests(ctx, since, now, report)
            await ctx.runtime.run(
                lambda session: record_sweep(session=session, instance=ctx.instance, at=now)
            )
            return report

    async def deliver(self, item: DueOccurrence) -> DeliveryOutcome:
        """Claim, fill, send and confirm one occurrence; every failure ends in the ledger."""
        return await sweep.deliver(self._context, item)

    async def send_now(self, *, department_id: int) -> DeliveryOutcome:
        """`sightline prompts send`: a manual occurrence, through the same ledger.

        Raises:
            NoPromptSenderError: no configured platform can reach the department.
        """
        return await sweep.send_now(self._context, department_id=department_id)

    async def refresh_rosters(self, *, department_id: int | None = None) -> dict[str, bool]:
        """Read each linked channel's members into its department's roster.

        Returns department name -> whether its channel could be read. A channel that cannot
        be read keeps its last known members and is flagged with the reason.
        """
        return await rosters.refresh_rosters(self._context, department_id=department_id)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the periodic sweep on the running event loop (first sweep immediately)."""
        if self._scheduler is not None:
            return
        self._scheduler = lifecycle.start_jobs(
            sweep=self.sweep_once,
            refresh_rosters=self.refresh_rosters,
            sweep_interval=self.config.sweep_interval,
        )
        logger.info(
            "Prompt scheduler %s started for %s", self.instance, ", ".join(sorted(self.senders))
        )

    async def shutdown(self) -> None:
        """Stop the jobs, then wait for a sweep in progress to finish."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        async with self._lock:  # let a sweep in progress finish its sends and ledger writes
            pass

    def attach(self, app: web.Application) -> None:
        """Start with the aiohttp server and stop with it."""
        lifecycle.attach(app, start=self.start, shutdown=self.shutdown)
