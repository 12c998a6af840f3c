"""What every scheduler job shares: who sweeps, with which senders and settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.delivery import PromptSender
from bot.runtime import Runtime
from bot.scheduler.config import PromptConfig

# How far back a first start (no heartbeat yet) looks, and how far back failures are told.
LOOKBACK = timedelta(days=7)


@dataclass(frozen=True)
class SchedulerContext:
    """The state `PromptScheduler` owns and hands to each job.

    Attributes:
        runtime: the database, clock and settings; jobs reach the database through
            `runtime.run`, off the event loop.
        senders: the platforms this instance can send through, by platform name.
        config: the prompt settings.
        instance: the name recorded on this instance's claims and heartbeats.
    """

    runtime: Runtime
    senders: Mapping[str, PromptSender]
    config: PromptConfig
    instance: str


def failure_reason(exc: BaseException) -> str:
    """The reason a ledger row records for a refusal: the sender's own, else the error."""
    reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return str(reason)[:500]
