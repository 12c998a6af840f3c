"""Acknowledging Slack first, then working: the guard every listener runs inside.

Every listener calls ``ack()`` before touching the database or the Web API (bolt sends the
acknowledgement as soon as it is called, because the app runs with
``process_before_response=False``), so Slack's 3-second limit never depends on them. The only
exception is a modal submission, whose pure validation must decide the ack itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck

from stories.conversation import texts

logger = logging.getLogger(__name__)
Listener = Callable[..., Awaitable[None]]

# Set by the HTTP endpoint for each request and fired once bolt has handed back the answer
# to Slack. Listeners run in tasks bolt starts from that request, so they inherit it.
ANSWER_READY: contextvars.ContextVar[asyncio.Event] = contextvars.ContextVar("answer_ready")
ANSWER_WAIT_SECONDS = 3.0  # Slack's own deadline: never wait longer than it would


@dataclass
class Work:
    """A request recorded in the durable inbox (bot/slack/inbox.py): the listener that takes
    it calls ``done`` once its work is over (done, or failed and the person told)."""

    done: Callable[[], Awaitable[None]]
    taken: bool = False


# Set by the composition root for each recorded request; listeners run in tasks bolt starts
# from that request, so they see it.
WORK: contextvars.ContextVar[Work | None] = contextvars.ContextVar("work", default=None)


class Inflight:
    """Listener runs that Slack has been told about, so shutdown can let them finish."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def guard(self, listener: Listener) -> Listener:
        """Track the listener's run (for drain()) and never let it raise after its ack."""
        guarded = _guarded(listener)

        @functools.wraps(listener)
        async def run(**kwargs: Any) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            if "ack" in kwargs:
                kwargs["ack"] = _then_wait_for_answer(kwargs["ack"])
            work = WORK.get()
            mine = work if work is not None and not work.taken else None
            if mine is not None:
                mine.taken = True  # one listener finishes a request
            try:
                await guarded(**kwargs)
                if mine is not None:
                    await mine.done()
            finally:
                if task is not None:
                    self._tasks.discard(task)

        return run

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Let work that was already acknowledged to Slack finish (graceful shutdown)."""
        pending = {t for t in self._tasks if t is not asyncio.current_task()}
        if pending:
            await asyncio.wait(pending, timeout=timeout)


def _then_wait_for_answer(ack: AsyncAck) -> Callable[..., Awaitable[None]]:
    """``ack`` that returns only once the answer is on its way to Slack.

    bolt notices an ack by polling every 10 ms; work started straight after ``ack()`` (the
    capture, its Web API calls) competed with that poll and with the acks of the requests
    behind it, which doubled the p99 ack latency under load (BENCHMARKS.md).
    """

    async def ack_then_wait(*args: Any, **kwargs: Any) -> None:
        await ack(*args, **kwargs)
        ready = ANSWER_READY.get(None)
        if ready is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ready.wait(), ANSWER_WAIT_SECONDS)

    return ack_then_wait


def _guarded(listener: Listener) -> Listener:
    """Never let a listener raise after its ack.

    bolt (1.30, process_before_response=False) overwrites an already-sent ack with None when
    the listener then fails, and its dispatcher then answers Slack 404 after 3 seconds. So
    failures are logged here, and the person is told when there is a way to reach them.
    """

    @functools.wraps(listener)
    async def run(**kwargs: Any) -> None:
        try:
            await listener(**kwargs)
        except Exception:
            logger.exception("Slack listener %s failed", listener.__name__)
            respond = kwargs.get("respond")
            body = kwargs.get("body") or {}
            if respond is not None and (body.get("response_url") or body.get("response_urls")):
                with contextlib.suppress(Exception):
                    await respond(
                        response_type="ephemeral", replace_original=False, text=texts.SORRY
                    )

    return run  # functools.wraps: bolt reads the wrapped listener's argument names
