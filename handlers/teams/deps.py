"""What the Teams skin needs, handed over by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.teams.ports import ChartUrls, PromptNow
from handlers.teams.sender import TeamsSender
from stories.conversation.context import CoreEnv


@dataclass(frozen=True)
class TeamsDeps:
    core: CoreEnv
    sender: TeamsSender  # the one proactive sender of this process
    charts: ChartUrls | None = None
    prompt_now: PromptNow | None = None
