"""The runtime: the objects every listener and command shares, built once from settings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from sqlmodel import Session

from bot.database import create_db_engine, for_services
from bot.metrics import Metrics
from bot.settings import Settings
from stories.clock import Clock, SystemClock
from stories.redaction import Redactor

T = TypeVar("T")


@dataclass
class Runtime:
    """Shared services: settings, database, clock, redactor and metrics."""

    settings: Settings
    engine: Engine
    clock: Clock
    redactor: Redactor
    metrics: Metrics = field(default_factory=lambda: Metrics(CollectorRegistry()))

    def session(self) -> Session:
        # Objects stay usable after commit: handlers render them after the service returns.
        return Session(for_services(self.engine), expire_on_commit=False)

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run synchronous domain work in a worker thread with its own session.

        The domain is synchronous (SQLModel sessions); the event loop must never wait on it.
        """

        def in_thread() -> T:
            with self.session() as session:
                return work(session)

        return await asyncio.to_thread(in_thread)


def build_runtime(
    settings: Settings, *, engine: Engine | None = None, clock: Clock | None = None
) -> Runtime:
    """Build the shared services; tests pass their own engine and clock."""
    return Runtime(
        settings=settings,
        engine=engine
        or create_db_engine(
            settings.database_url,
            connect_timeout=settings.database_connect_timeout_seconds,
            statement_timeout=settings.database_statement_timeout_seconds,
        ),
        clock=clock or SystemClock(),
        redactor=Redactor(
            default_region=settings.phone_region,
            extra_regions=tuple(settings.phone_extra_regions),
        ),
    )
