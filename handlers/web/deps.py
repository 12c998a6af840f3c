"""What the web skin needs from the composition root, and the ports it depends on."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Protocol

from stories.conversation.context import CoreEnv
from stories.conversation.views import Effect
from stories.dashboard.signin import LinkSigner


class PromptNow(Protocol):
    """ "Prompt now": a manual occurrence through the scheduler's ledger."""

    def __call__(self, department_id: int, /) -> Awaitable[tuple[str, str | None]]:
        """Send now; return (status, reason) as recorded in the ledger."""
        ...


class FollowPosts(Protocol):
    """Carry out, in a chat platform, what follows a change (e.g. retract a story's post)."""

    def __call__(
        self, platform: str, workspace: str, effects: Sequence[Effect], /
    ) -> Awaitable[None]: ...


@dataclass(frozen=True)
class WebDeps:
    core: CoreEnv
    signer: LinkSigner
    secure: bool  # cookies only over https (SIGHTLINE_PUBLIC_URL is https)
    prompt_now: PromptNow | None = None
    follow_posts: FollowPosts | None = None  # None: no chat platform configured
