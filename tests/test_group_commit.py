"""Group commit (bot/slack/group_commit.py): one write at a time, and everything submitted
while it runs goes in the next one; a failed write reaches each of its waiters only."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.slack.group_commit import GroupCommit


class Writer:
    """Records each batch; the first write holds until released, as a slow commit would."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.started = threading.Event()
        self.release = threading.Event()
        self.fail_on = fail_on

    def write(self, items: list[str]) -> list[str]:
        self.batches.append(items)
        self.started.set()
        self.release.wait(10)
        if self.fail_on in items:
            raise RuntimeError("the database went away")
        return [item.upper() for item in items]


async def test_what_arrives_during_a_write_goes_in_the_next_one_together() -> None:
    writer = Writer()
    with ThreadPoolExecutor(1) as executor:
        group = GroupCommit(writer.write, executor)
        first = asyncio.create_task(group.submit("a"))
        await asyncio.to_thread(writer.started.wait, 10)  # "a" is being written
        later = [asyncio.create_task(group.submit(x)) for x in ("b", "c", "d")]
        await asyncio.sleep(0)  # let them queue behind it
        writer.release.set()
        assert await first == "A"
        assert await asyncio.gather(*later) == ["B", "C", "D"]
        await group.flush()
    assert writer.batches == [["a"], ["b", "c", "d"]]


async def test_a_failed_write_fails_its_own_waiters_and_the_next_batch_still_goes() -> None:
    writer = Writer(fail_on="b")
    with ThreadPoolExecutor(1) as executor:
        group = GroupCommit(writer.write, executor)
        first = asyncio.create_task(group.submit("a"))
        await asyncio.to_thread(writer.started.wait, 10)
        failing = [asyncio.create_task(group.submit(x)) for x in ("b", "c")]
        await asyncio.sleep(0)
        writer.release.set()
        assert await first == "A"
        for task in failing:
            with pytest.raises(RuntimeError, match="went away"):
                await task
        assert await group.submit("e") == "E"
    assert writer.batches == [["a"], ["b", "c"], ["e"]]
