"""`PromptScheduler`: owns what the jobs share and runs them, one sweep at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.delivery import PromptSender
from bot.runtime import Runtime
from bot.scheduler import leads, lifecycle, recovery, reminders, rosters, sweep, wakeups
from bot.scheduler.config import PromptConfig, default_instance_name
from bot.scheduler.context import SchedulerContext
from bot.scheduler.report import DeliveryOutcome, SweepReport
from bot.scheduler.sweep import DueOccurrence
from stories.prompt_leases import heartbeat, record_sweep
from stories.prompt_library import sync_library

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiohttp import web
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)


class PromptScheduler:
    """Runs prompt sweeps; `sweep_once()` is the whole job, `start()` runs it when due.

    It owns the state every job shares (runtime, senders, config, instance name), the lock
    that keeps one sweep at a time, the heartbeat that keeps this instance's claims alive,
    and the wake-up loop; the jobs themselves live in `bot.scheduler.sweep`, `recovery`,
    `reminders`, `leads`, `rosters` and `wakeups`.
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
        self._recovery_lock = asyncio.Lock()
        self._library_synced = False
        self._scheduler: AsyncIOScheduler | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._wake: wakeups.WakeLoop | None = None
        self._fingerprint: int | None = None
        self._recovering: asyncio.Task[None] | None = None

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

    @property
    def next_wakeup(self) -> datetime | None:
        """When the running scheduler next wakes for a due occurrence (None: not started)."""
        return self._wake.due if self._wake is not None else None

    # --- the sweep ------------------------------------------------------------------------

    async def sweep_once(self) -> SweepReport:
        """One sweep: plan and send due prompts, recover expired claims, remind, tell leads.

        Returns:
            What the sweep did. It ends by recording the sweep, so the next sweep of any
            replica starts where this one started.
        """
        ctx = self._context
        async with self._lock:
            report = SweepReport()
            await self._sync_library()
            now = ctx.runtime.clock.now()
            since = await ctx.runtime.run(lambda session: sweep.window_start(ctx, session, now))
            due = await ctx.runtime.run(
                lambda session: sweep.plan(ctx, session, since, now, report)
            )
            await sweep.deliver_all(ctx, due, report)
            await self.recover(report)
            await reminders.send_reminders(ctx, report)
            await leads.notify_failures(ctx, now, report)
            await leads.send_digests(ctx, since, now, report)
            await ctx.runtime.run(
                lambda session: record_sweep(session=session, instance=ctx.instance, at=now)
            )
            return report

    async def recover(self, report: SweepReport | None = None) -> SweepReport:
        """Take over and settle the claims of instances whose lease expired (and this
        instance's own from before a restart); one recovery at a time."""
        report = report if report is not None else SweepReport()
        async with self._recovery_lock:
            await self._sync_library()  # a takeover at start may come before the first sweep
            await recovery.recover_expired(self._context, report)
        return report

    async def _sync_library(self) -> None:
        if not self._library_synced:
            library = self.config.library
            await self.runtime.run(lambda session: sync_library(session=session, prompts=library))
            self._library_synced = True

    async def deliver(self, item: DueOccurrence) -> DeliveryOutcome:
        """Claim, fill, send and confirm one occurrence; every failure ends in the ledger."""
        return await sweep.deliver(self._context, item)

    async def send_now(self, *, department_id: int) -> DeliveryOutcome:
        """`sightline prompts send`: a manual occurrence, through the same ledger.

        Outside `serve` (the command line) this instance heartbeats while it sends, so its
        claim is not taken over from under it.

        Raises:
            NoPromptSenderError: no configured platform can reach the department.
        """
        async with self._alive():
            return await sweep.send_now(self._context, department_id=department_id)

    async def refresh_rosters(self, *, department_id: int | None = None) -> dict[str, bool]:
        """Read each linked channel's members into its department's roster.

        Returns department name -> whether its channel could be read. A channel that cannot
        be read keeps its last known members and is flagged with the reason.
        """
        return await rosters.refresh_rosters(self._context, department_id=department_id)

    # --- heartbeats and wake-ups ----------------------------------------------------------

    async def beat(self, *, starting: bool = False) -> None:
        """Say this instance is alive; notice changed schedules and expired claims.

        Args:
            starting: record this instance's start too: claims it made before (in a previous
                life under the same name) are recovered at once.
        """
        ctx = self._context
        now = ctx.runtime.clock.now()

        def work(session: Session) -> tuple[int, bool]:
            heartbeat(
                session=session,
                instance=ctx.instance,
                now=now,
                started_at=now if starting else None,
            )
            expired = bool(recovery.reachable_expired(ctx, session, now))
            return wakeups.schedule_fingerprint(session), expired

        fingerprint, expired = await ctx.runtime.run(work)
        if fingerprint != self._fingerprint:
            if self._fingerprint is not None and self._wake is not None:
                self._wake.poke()
            self._fingerprint = fingerprint
        if expired and (self._recovering is None or self._recovering.done()):
            self._recovering = asyncio.create_task(self._recover_in_background())

    async def _recover_in_background(self) -> None:
        try:
            report = await self.recover()
        except Exception:  # the next heartbeat tries again
            logger.exception("prompt takeover failed")
            return
        if report.takeovers:
            logger.info("prompt takeover: %s", report)

    async def _next_due(self, after: datetime) -> datetime | None:
        ctx = self._context
        return await ctx.runtime.run(
            lambda session: wakeups.next_due_at(ctx, session, after, sweep.departments)
        )

    async def _heartbeats(self) -> None:
        interval = self.config.heartbeat.total_seconds()
        while True:
            await asyncio.sleep(interval)
            try:
                await self.beat()
            except Exception:  # the database is away: the next beat tries again
                logger.exception("scheduler heartbeat failed")

    async def _run(self) -> None:
        """Start: the first heartbeat (with the start time), then beats and wake-ups."""
        while True:
            try:
                await self.beat(starting=True)
                break
            except Exception:
                logger.exception("scheduler could not record its start; trying again")
                await asyncio.sleep(self.config.heartbeat.total_seconds())
        self._wake = wakeups.WakeLoop(
            ctx=self._context,
            sweep=self.sweep_once,
            next_due=self._next_due,
            backstop=self.config.sweep_interval,
            retry=self.config.heartbeat,
        )
        self._tasks.append(asyncio.create_task(self._heartbeats()))
        await self._wake.run()

    @asynccontextmanager
    async def _alive(self) -> AsyncIterator[None]:
        """Heartbeat for the duration of a block when the scheduler is not running."""
        if self._tasks:
            yield
            return
        await self.beat()
        beating = asyncio.create_task(self._heartbeats())
        try:
            yield
        finally:
            beating.cancel()
            with suppress(asyncio.CancelledError):
                await beating

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start on the running event loop: heartbeats, the first sweep at once, then a
        sweep at each due occurrence (and at least every sweep interval)."""
        if self._tasks:
            return
        self._tasks.append(asyncio.create_task(self._run()))
        self._scheduler = lifecycle.start_jobs(refresh_rosters=self.refresh_rosters)
        logger.info(
            "Prompt scheduler %s started for %s", self.instance, ", ".join(sorted(self.senders))
        )

    async def shutdown(self) -> None:
        """Stop the loops, letting a sweep or takeover in progress finish its sends and ledger
        writes (heartbeating meanwhile, so its claims stay its own)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        main, beats = tasks[0], tasks[1:]
        if self._wake is not None:
            self._wake.stop()
        else:
            main.cancel()  # still recording its start
        with suppress(asyncio.CancelledError):
            await main
        if self._recovering is not None:
            with suppress(asyncio.CancelledError):
                await self._recovering
        for task in beats:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        self._wake, self._recovering = None, None

    def attach(self, app: web.Application) -> None:
        """Start with the aiohttp server and stop with it."""
        lifecycle.attach(app, start=self.start, shutdown=self.shutdown)
