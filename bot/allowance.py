"""The posting allowance every replica shares: slots reserved in the database."""

from __future__ import annotations

import time

from bot.runtime import Runtime
from stories.post_allowance import reserve_slot


class SharedAllowance:
    """A platform's workspace-wide posting rate, shared by all replicas on one database.

    ``rate`` is the whole workspace's (``SIGHTLINE_SLACK_POST_RATE``), not a replica's share:
    each post reserves the next slot in the database, so two replicas post at the rate
    together, as one would alone.
    """

    def __init__(self, runtime: Runtime, *, platform: str, rate: float) -> None:
        self._runtime = runtime
        self._platform = platform
        self._interval = 1.0 / rate

    async def reserve(self, workspace: str) -> float:
        """Reserve the next slot of ``workspace``'s allowance; seconds to wait for it."""
        key, interval = f"{self._platform}:{workspace}", self._interval
        slot = await self._runtime.run(
            lambda session: reserve_slot(
                session=session, key=key, now=time.time(), interval=interval
            )
        )
        return max(0.0, slot - time.time())
