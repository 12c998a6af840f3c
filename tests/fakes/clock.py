"""A clock that runs in real time from a chosen instant, for tests of code that sleeps."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class RunningClock:
    """``start`` plus the real time elapsed since it was made: a scheduler sleeping on the
    event loop sees its due times arrive, on a date the test chose."""

    def __init__(self, start: datetime) -> None:
        self._start = start.astimezone(UTC)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)
