"""Carrying out, from the command line, what erasing a member changes in chat.

`sightline members erase` runs outside the server, so the platform's client or sender is
built here, once, for the workspace the member belonged to, and the core's effects are
carried out by the same skin code the listeners use.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.app import build_core
from bot.runtime import Runtime
from bot.settings import slack_mode, teams_configured
from stories.conversation.views import Effect
from stories.models import Platform, Workspace

logger = logging.getLogger(__name__)


async def carry_out(runtime: Runtime, workspace: Workspace, effects: Sequence[Effect]) -> bool:
    """Apply ``effects`` in the workspace's platform; False when no platform is configured
    for it (the posts then stay as they are, and the caller says so)."""
    if not effects:
        return True
    core = build_core(runtime)
    settings = runtime.settings
    if workspace.platform == Platform.SLACK and slack_mode(settings) is not None:
        from bot.slack.transport import client_lookup
        from handlers.slack.effects import SlackEffects

        client = await client_lookup(runtime)(workspace.external_id)
        await SlackEffects(core).apply(client, effects)
        return True
    if workspace.platform == Platform.TEAMS and teams_configured(settings):
        from bot.teams import build_teams_parts
        from handlers.teams.effects import TeamsEffects

        parts = build_teams_parts(runtime, core)
        await TeamsEffects(core, parts.sender).apply(effects)
        return True
    logger.warning(
        "no %s platform is configured: %d post(s) left", workspace.platform, len(effects)
    )
    return False
