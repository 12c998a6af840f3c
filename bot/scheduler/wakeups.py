"""When the scheduler wakes: at the next due occurrence of any department, not on an interval.

`next_due_at` works out, from every department's schedule, the first occurrence after a given
instant; `schedule_fingerprint` is a cheap summary of every schedule, compared on each
heartbeat so that a department added or changed on *any* replica (or from the command line)
moves the next wake-up within a heartbeat. `wake_loop` sleeps until the earliest of the next
due occurrence and the backstop sweep (reminders, digests, catch-up), or until poked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import select as sql_select
from sqlmodel import Session, col

from bot.scheduler.context import SchedulerContext
from bot.scheduler.report import SweepReport
from stories.models import Department, Workspace
from stories.prompts import destination_for
from stories.schedule import next_occurrence

logger = logging.getLogger(__name__)

# Every column a wake-up time depends on: a change in any of them moves the next wake-up.
SCHEDULE_COLUMNS = (
    col(Department.id),
    col(Department.workspace_id),
    col(Department.customer_facing),
    col(Department.slack_channel_id),
    col(Department.teams_conversation_id),
    col(Department.timezone),
    col(Department.prompt_time),
    col(Department.prompt_days),
    col(Department.cadence_weeks),
    col(Department.holiday_country),
    col(Department.holiday_subdivision),
    col(Department.paused),
    col(Department.paused_until),
    col(Workspace.active),
)


def schedule_fingerprint(session: Session) -> int:
    """A number that changes whenever any department's schedule or reach changes.

    One indexed read of a few short columns per department; compared within one process
    only (Python's string hashing differs between processes).
    """
    query = (
        sql_select(*SCHEDULE_COLUMNS)
        .join(Workspace, col(Workspace.id) == col(Department.workspace_id))
        .order_by(col(Department.id))
    )
    return hash(tuple(tuple(row) for row in session.execute(query)))


def next_due_at(
    ctx: SchedulerContext,
    session: Session,
    after: datetime,
    departments: Callable[[Session], list[tuple[Workspace, Department]]],
) -> datetime | None:
    """The first occurrence strictly after ``after`` among the departments this instance can
    reach (None when no department has one within a year)."""
    soonest: datetime | None = None
    for workspace, department in departments(session):
        if destination_for(workspace, department, ctx.senders) is None:
            continue
        occurrence = next_occurrence(department, max(after, department.created_at))
        if occurrence is not None and (soonest is None or occurrence.at < soonest):
            soonest = occurrence.at
    return soonest


class WakeLoop:
    """Sweeps at each due instant, when poked (a schedule changed), and at least every
    ``backstop``; one sweep at a time, the first at once."""

    def __init__(
        self,
        *,
        ctx: SchedulerContext,
        sweep: Callable[[], Awaitable[SweepReport]],
        next_due: Callable[[datetime], Awaitable[datetime | None]],
        backstop: timedelta,
        retry: timedelta,
    ) -> None:
        self._clock = ctx.runtime.clock
        self._sweep = sweep
        self._next_due = next_due
        self._backstop = backstop
        self._retry = retry
        self._poked = asyncio.Event()
        self._stopping = False
        self.due: datetime | None = None  # the next wake-up for a due occurrence

    def poke(self) -> None:
        """Something changed: work out the next wake-up again now."""
        self._poked.set()

    def stop(self) -> None:
        """Stop after the sweep in progress, if any."""
        self._stopping = True
        self._poked.set()

    async def run(self) -> None:
        next_full = self._clock.now()
        while not self._stopping:
            now = self._clock.now()
            if now >= next_full or (self.due is not None and now >= self.due):
                await self._sweep_and_plan(now)
                next_full = now + self._backstop
                continue
            target = next_full if self.due is None else min(next_full, self.due)
            try:
                await asyncio.wait_for(self._poked.wait(), (target - now).total_seconds())
            except TimeoutError:
                continue
            self._poked.clear()
            if not self._stopping:
                await self._plan(self._clock.now())

    async def _sweep_and_plan(self, started: datetime) -> None:
        try:
            report = await self._sweep()
        except Exception:  # the next wake-up tries again; never let the loop die
            logger.exception("prompt sweep failed")
            self.due = started + self._retry
            return
        if report.sent or report.failed or report.missed or report.recovered:
            logger.info("prompt sweep: %s", report)
        # From the sweep's start: an occurrence that fell due while it ran is swept at once.
        await self._plan(started)

    async def _plan(self, after: datetime) -> None:
        try:
            self.due = await self._next_due(after)
        except Exception:  # the database is away: look again shortly
            logger.exception("could not work out the next prompt wake-up")
            self.due = self._clock.now() + self._retry
