"""The prompt settings the scheduler reads once, and the name it records on its claims."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from bot.settings import Settings
from stories.digest import DigestSchedule
from stories.prompt_library import LibraryPrompt, TouchpointMap, load_library, load_touchpoints


@dataclass(frozen=True)
class PromptConfig:
    """The prompt settings the scheduler needs, read once from `Settings` and `config/`."""

    touchpoints: TouchpointMap
    library: tuple[LibraryPrompt, ...]
    grace: timedelta = timedelta(hours=2)
    repeat_window: timedelta = timedelta(days=90)
    answer_window: timedelta = timedelta(hours=48)
    reminder_after: timedelta | None = timedelta(hours=24)
    lease: timedelta = timedelta(seconds=10)  # a silent owner's claims are taken over after
    heartbeat: timedelta = timedelta(seconds=2)  # how often this instance says it is alive
    sweep_interval: timedelta = timedelta(seconds=60)
    leads: Mapping[str, str] = field(default_factory=dict)  # platform -> leads' channel
    digest: DigestSchedule | None = None  # None: no weekly digest
    digest_period_days: int = 7

    @classmethod
    def from_settings(cls, settings: Settings) -> PromptConfig:
        """Read the prompt settings, the question library and the touchpoint map.

        Args:
            settings: the loaded settings; the two TOML files come from its `config_dir`.

        Returns:
            The configuration every scheduler job reads.

        Raises:
            PromptLibraryError: `prompts.toml` or `touchpoints.toml` is missing or malformed.
        """
        reminder = settings.prompt_reminder_after_hours
        leads = {
            platform: destination
            for platform, destination in (
                ("slack", settings.leads_slack_channel),
                ("teams", settings.leads_teams_conversation),
            )
            if destination
        }
        digest = (
            DigestSchedule(
                timezone=settings.digest_timezone or settings.default_timezone,
                prompt_time=settings.digest_time,
                prompt_days=settings.digest_days,
            )
            if settings.digest_enabled
            else None
        )
        return cls(
            touchpoints=load_touchpoints(settings.config_dir / "touchpoints.toml"),
            library=tuple(load_library(settings.config_dir / "prompts.toml")),
            grace=timedelta(hours=settings.prompt_grace_hours),
            repeat_window=timedelta(days=settings.prompt_repeat_window_days),
            answer_window=timedelta(hours=settings.prompt_answer_window_hours),
            reminder_after=timedelta(hours=reminder) if reminder > 0 else None,
            lease=timedelta(seconds=settings.prompt_lease_seconds),
            # Several heartbeats per lease, so one slow write never looks like a death.
            heartbeat=timedelta(
                seconds=min(settings.prompt_heartbeat_seconds, settings.prompt_lease_seconds / 3)
            ),
            sweep_interval=timedelta(seconds=settings.prompt_sweep_seconds),
            leads=leads,
            digest=digest,
            digest_period_days=settings.digest_period_days,
        )


def default_instance_name() -> str:
    """The name claims record when `SIGHTLINE_SCHEDULER_INSTANCE` is unset: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"
