"""What the Slack listeners need, handed over by the composition root, and the small
interfaces (ports) they depend on instead of importing the runtime."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from stories.conversation.context import CoreEnv


class PromptNow(Protocol):
    """`/cx prompt now`: a manual occurrence through the scheduler's ledger."""

    def __call__(self, department_id: int, /) -> Awaitable[tuple[str, str | None]]:
        """Send now; return (status, reason) as recorded in the ledger."""
        ...


@dataclass(frozen=True)
class SlackDeps:
    """The core and the few Slack-only settings."""

    core: CoreEnv
    reaction_emoji: str = "customer-story"
    cx_lead_usergroup: str | None = None
    admins_are_cx_leads: bool = True
    prompt_now: PromptNow | None = None
