"""Group commit: one write at a time, each carrying everything that arrived meanwhile.

The durable inbox writes a record before every Slack acknowledgement and closes it after the
work. One transaction per request means one commit (on PostgreSQL an fsync; on SQLite a turn
of the file's write lock) per request, and the commits queue behind one another under load.
Here a request's item waits only for the write in progress (if any) and then goes in the next
one with every item that arrived while it waited: no timer, so nothing waits when it is quiet,
and under load a commit serves many requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """``write`` takes a batch of items (in a worker thread, one batch at a time) and returns
    one result per item, in order; ``submit`` returns its item's result once committed."""

    def __init__(self, write: Callable[[list[T]], list[R]], executor: Executor) -> None:
        self._write, self._executor = write, executor
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        return await future

    async def _write_all(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                results = await loop.run_in_executor(
                    self._executor, self._write, [item for item, _ in batch]
                )
            except Exception as error:  # noqa: BLE001 - not swallowed: each waiter gets it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # a waiter may have been cancelled meanwhile
                    future.set_result(result)

    async def flush(self) -> None:
        """Wait for what was submitted to be written (shutdown)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)
