"""Slack requests through the durable inbox (stories/inbox.py).

A signed request is recorded before bolt acknowledges it, keyed by what Slack gives it to
be recognised by (the event id; an interaction's or command's trigger id). The guard every
listener runs inside (handlers/slack/acks.py) says when its work is done, which finishes the
row. A row left unfinished (the process was killed after the acknowledgement) is replayed by
any replica after ``SIGHTLINE_INBOX_STALE_SECONDS``, as a request bolt does not verify again
(its signature was checked when it arrived; the timestamp would be too old by then). On a
SQLite file the rows live in a file of their own, with its own write lock (bot/inbox_store.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.database import for_services
from bot.inbox_store import open_inbox_engine
from bot.runtime import Runtime
from bot.slack.group_commit import GroupCommit
from bot.slack.transport import REPLAY
from handlers.slack.acks import ANSWER_WAIT_SECONDS, WORK, Work
from stories.inbox import (
    Arrival,
    Pending,
    claim_stale,
    finish_many,
    forget_done,
    receive_many,
)

logger = logging.getLogger(__name__)
PLATFORM = "slack"
FORGET_EVERY = timedelta(hours=1)  # how often finished keys past their day are dropped
KEPT_HEADERS = ("content-type",)  # what a replay needs; the signature is not kept


def key_of(read: AsyncBoltRequest) -> str:
    """How the request is recognised again: an event by its id (Slack retries an event with
    the same id); a command or interaction, which Slack never retries, by its whole body
    (each carries its own trigger id and timestamps, so two are never alike)."""
    body: dict[str, Any] = read.body
    event_id = body.get("event_id")
    if isinstance(event_id, str) and event_id:
        return f"event:{event_id}"
    return "sha256:" + hashlib.sha256(read.raw_body.encode("utf-8")).hexdigest()


async def _nothing() -> None:
    """Finishing a request that could not be recorded."""


class SlackInbox:
    def __init__(self, runtime: Runtime, app: AsyncApp, instance: str) -> None:
        self.runtime, self.app, self.instance = runtime, app, instance
        self.stale = timedelta(seconds=runtime.settings.inbox_stale_seconds)
        self._task: asyncio.Task[None] | None = None
        self._checks: set[asyncio.Task[None]] = set()
        self._forgotten_at: datetime | None = None
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="slack-inbox")
        self._engine: Engine | None = None  # opened on first use: nothing built up front
        self._opening = threading.Lock()
        # One thread records (before acks), one closes: each a group commit (group_commit.py).
        self._records = GroupCommit(self._write_records, self._executor)
        self._closes = GroupCommit(self._write_closes, self._executor)

    @property
    def engine(self) -> Engine:
        """Where the rows are: the main database, or on SQLite a file of their own."""
        with self._opening:
            if self._engine is None:
                self._engine = open_inbox_engine(self.runtime.engine)
            return self._engine

    def _session(self) -> Session:
        return Session(for_services(self.engine), expire_on_commit=False)

    async def _run(self, work: Callable[[Session], Any]) -> Any:
        def in_thread() -> Any:
            with self._session() as session:
                return work(session)

        return await asyncio.to_thread(in_thread)

    async def accept(
        self, read: AsyncBoltRequest, body: str, headers: dict[str, Any]
    ) -> Work | None:
        """Record the request; None when it was seen before (a retry, another replica)."""
        kept = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
        key = key_of(read)
        try:
            new = await self._record(key, body, kept)
        except Exception:  # the database is down: do the work anyway, as before the inbox
            logger.exception("the Slack inbox could not record %s; handled unrecorded", key)
            work = Work(_nothing)
            WORK.set(work)
            return work
        if not new:
            return None
        work = Work(self._finisher(key))
        WORK.set(work)
        return work

    async def _record(self, key: str, body: str, kept: dict[str, Any]) -> bool:
        # Its own thread: the acknowledgement must not queue behind listeners' work in the
        # shared worker pool; and one commit for every request that arrived meanwhile.
        return await self._records.submit(Arrival(key, body, kept))

    def _write_records(self, arrivals: list[Arrival]) -> list[bool]:
        with self._session() as session:
            return receive_many(
                session=session,
                clock=self.runtime.clock,
                platform=PLATFORM,
                arrivals=arrivals,
                instance=self.instance,
            )

    def _write_closes(self, keys: list[str]) -> list[None]:
        with self._session() as session:
            finish_many(session=session, clock=self.runtime.clock, platform=PLATFORM, keys=keys)
        return [None] * len(keys)

    def settle(self, work: Work, status: int) -> None:
        """After bolt answered: a request no listener took (ignored, refused) is finished
        now; one a listener is about to take is left to it, checked once more later."""
        if work.taken:
            return
        if status >= 300:
            self._later(work, 0.0)
        else:
            self._later(work, ANSWER_WAIT_SECONDS)

    def _later(self, work: Work, delay: float) -> None:
        async def check() -> None:
            await asyncio.sleep(delay)
            if not work.taken:
                work.taken = True
                await work.done()

        task = asyncio.create_task(check())
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    def _finisher(self, key: str) -> Callable[[], Awaitable[None]]:
        async def done() -> None:
            await self._closes.submit(key)

        return done

    async def replay_stale(self) -> int:
        """Replay what a dead process acknowledged and never finished; returns how many."""
        pending: list[Pending] = await self._run(
            lambda session: claim_stale(
                session=session,
                clock=self.runtime.clock,
                platform=PLATFORM,
                stale=self.stale,
                instance=self.instance,
            )
        )
        for item in pending:
            await self._replay(item)
        now = self.runtime.clock.now()
        if self._forgotten_at is None or now - self._forgotten_at > FORGET_EVERY:
            self._forgotten_at = now
            await self._run(lambda session: forget_done(session=session, now=now))
        return len(pending)

    async def _replay(self, item: Pending) -> None:
        logger.warning("replaying Slack request %s (attempt %d)", item.key, item.attempts)
        work = Work(self._finisher(item.key))
        token = WORK.set(work)
        read = AsyncBoltRequest(
            body=item.body, headers=item.headers, mode="socket_mode", context={REPLAY: True}
        )
        try:
            response = await self.app.async_dispatch(read)
        except Exception:  # the next pass tries again, up to its attempts
            logger.exception("replaying Slack request %s failed", item.key)
            return
        finally:
            WORK.reset(token)
        self.settle(work, response.status)

    async def start(self) -> None:
        await asyncio.to_thread(lambda: self.engine)  # the inbox file made ready off the loop
        self._task = asyncio.create_task(self._repeat())

    async def stop(self) -> None:
        await self._records.flush()
        await self._closes.flush()
        self._executor.shutdown(wait=False)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._engine is not None and self._engine is not self.runtime.engine:
            self._engine.dispose()  # its connections closed; it stays usable

    async def _repeat(self) -> None:
        while True:
            try:
                await self.replay_stale()
            except Exception:  # the next pass tries again
                logger.exception("the Slack inbox could not be replayed")
            await asyncio.sleep(max(1.0, self.stale.total_seconds() / 2))
